CREATE TABLE units (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    block TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX units_block ON units (block);

-- A questionnaire file as it was when a campaign opened; never edited.
CREATE TABLE questionnaire_versions (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (code, content_hash)
);

CREATE TABLE campaigns (
    id BIGSERIAL PRIMARY KEY,
    year INTEGER NOT NULL,
    name TEXT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    anonymous BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE campaign_questionnaires (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    code TEXT NOT NULL,
    questionnaire_version_id BIGINT NOT NULL REFERENCES questionnaire_versions (id),
    PRIMARY KEY (campaign_id, code)
);

-- One per token. status: new, in_progress, submitted.
CREATE TABLE respondents (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    questionnaire_code TEXT NOT NULL,
    unit_id BIGINT REFERENCES units (id),
    token_hash TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    submit_key TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    FOREIGN KEY (campaign_id, questionnaire_code) REFERENCES campaign_questionnaires (campaign_id, code)
);
CREATE INDEX respondents_campaign ON respondents (campaign_id, questionnaire_code, status);

-- Answers saved as the respondent goes; removed when the response is submitted.
CREATE TABLE draft_answers (
    respondent_id BIGINT NOT NULL REFERENCES respondents (id) ON DELETE CASCADE,
    rated_unit_id BIGINT NOT NULL REFERENCES units (id),
    question_code TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (respondent_id, rated_unit_id, question_code)
);

-- respondent_id is NULL for anonymous campaigns: the response cannot be joined back.
CREATE TABLE responses (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    questionnaire_version_id BIGINT NOT NULL REFERENCES questionnaire_versions (id),
    unit_id BIGINT REFERENCES units (id),
    respondent_id BIGINT UNIQUE REFERENCES respondents (id),
    source TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL
);
CREATE INDEX responses_campaign ON responses (campaign_id, questionnaire_version_id);

CREATE TABLE answers (
    response_id BIGINT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    rated_unit_id BIGINT NOT NULL REFERENCES units (id),
    question_code TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (response_id, rated_unit_id, question_code)
);
