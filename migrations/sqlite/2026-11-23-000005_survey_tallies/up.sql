-- Running sums of the survey scores, per rated unit, respondent group and
-- stratum of the draw ('' for answers outside the draw: open links and
-- hand-issued links). Updated in the transaction that stores a response;
-- a full recomputation from the answers gives the same rows to the bit.
CREATE TABLE survey_tallies (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    rated_unit_id INTEGER NOT NULL REFERENCES units (id),
    respondent_group TEXT NOT NULL,
    stratum TEXT NOT NULL,
    tally TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (campaign_id, rated_unit_id, respondent_group, stratum)
);
