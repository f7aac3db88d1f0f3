-- The province profile whose rules a campaign follows (sampling, scoring).
ALTER TABLE campaigns ADD COLUMN profile_code TEXT;

-- A campaign's sampling frame: the people eligible to answer. One active
-- frame per campaign; a new file replaces it until the sample is drawn.
-- status: loading (rows arriving, invisible), active, replaced.
CREATE TABLE frames (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    status TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL
);
CREATE INDEX frames_campaign ON frames (campaign_id, status);

CREATE TABLE frame_persons (
    id BIGSERIAL PRIMARY KEY,
    frame_id BIGINT NOT NULL REFERENCES frames (id) ON DELETE CASCADE,
    person_key TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    respondent_group TEXT NOT NULL,
    email TEXT,
    size BIGINT,
    -- Stratifying columns as a JSON object, name → value.
    strata TEXT NOT NULL,
    UNIQUE (frame_id, person_key)
);
CREATE INDEX frame_persons_unit ON frame_persons (frame_id, unit_id, respondent_group);

-- The sampling rules a campaign's plan uses, per respondent group, as TOML
-- (the profile's, or edited on the plan page).
CREATE TABLE plan_rules (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    respondent_group TEXT NOT NULL,
    rule TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (campaign_id, respondent_group)
);

-- A draw, with what an auditor needs to repeat it: the seed, the plan and
-- the frame's digest. One per campaign.
CREATE TABLE draws (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL UNIQUE REFERENCES campaigns (id),
    frame_id BIGINT NOT NULL REFERENCES frames (id),
    seed TEXT NOT NULL,
    frame_sha256 TEXT NOT NULL,
    -- The rules (TOML) and the stratum plans (JSON) the draw followed.
    rules TEXT NOT NULL,
    plan TEXT NOT NULL,
    drawn_at TIMESTAMP NOT NULL
);

-- Everyone drawn: the sample, and the reserves in the order they are released.
CREATE TABLE sample_members (
    id BIGSERIAL PRIMARY KEY,
    draw_id BIGINT NOT NULL REFERENCES draws (id),
    frame_person_id BIGINT NOT NULL UNIQUE REFERENCES frame_persons (id),
    stratum TEXT NOT NULL,
    reserve_rank BIGINT,
    draw_order BIGINT NOT NULL,
    design_weight DOUBLE PRECISION NOT NULL,
    released_at TIMESTAMP,
    -- The member whose refusal or bad address released this reserve.
    replaces BIGINT REFERENCES sample_members (id),
    respondent_id BIGINT UNIQUE REFERENCES respondents (id)
);
CREATE INDEX sample_members_stratum ON sample_members (draw_id, stratum, reserve_rank);

ALTER TABLE respondents ADD COLUMN stratum TEXT;
-- The stratum travels with the response (for weights), also where the
-- response cannot be joined back to its respondent (anonymous campaigns).
ALTER TABLE responses ADD COLUMN stratum TEXT;
ALTER TABLE respondents ADD COLUMN opened_at TIMESTAMP;
ALTER TABLE respondents ADD COLUMN opted_out_at TIMESTAMP;

-- Every e-mail to a drawn person: the invitation (seq 0) and reminders
-- (seq 1, 2, ...). state: queued, sending, sent, failed, bounced, opted_out.
CREATE TABLE invitations (
    id BIGSERIAL PRIMARY KEY,
    respondent_id BIGINT NOT NULL REFERENCES respondents (id),
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    attempts INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    queued_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    UNIQUE (respondent_id, seq)
);
CREATE INDEX invitations_state ON invitations (state, id);
