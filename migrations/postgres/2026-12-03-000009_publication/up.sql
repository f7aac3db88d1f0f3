-- Survey points per unit and survey criterion that the index takes instead
-- of the live estimates: imported from a CSV when the survey ran elsewhere
-- (source 'import'), or the live figures frozen when the table is published
-- (source 'published'). points_micro is NULL when the criterion is withheld;
-- short lists the groups below the minimum (JSON).
CREATE TABLE survey_points (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    criterion TEXT NOT NULL,
    points_micro BIGINT,
    short TEXT NOT NULL,
    ci_low DOUBLE PRECISION,
    ci_high DOUBLE PRECISION,
    source TEXT NOT NULL,
    PRIMARY KEY (campaign_id, unit_id, criterion)
);

-- Published scores by year and unit code: the unit's own fields, criteria
-- and sub-criteria (kind 'own': written when a table is published, or
-- imported for past years), and the items of the provincial index an agency
-- answers for (kind 'assigned', Thái Bình art. 15), imported.
CREATE TABLE published_scores (
    year BIGINT NOT NULL,
    unit_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    item TEXT NOT NULL,
    points_micro BIGINT NOT NULL,
    PRIMARY KEY (year, unit_code, kind, item)
);

-- A campaign's table once published: from then on its survey points are
-- frozen (survey_points) and its dossiers approved, so it never changes.
CREATE TABLE publications (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id),
    published_at TIMESTAMP NOT NULL,
    published_by BIGINT NOT NULL REFERENCES users (id)
);
