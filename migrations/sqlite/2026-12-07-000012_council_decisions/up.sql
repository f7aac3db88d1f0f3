-- The council's decisions on the cases the rules leave open (a unit without
-- a dossier, a withheld survey component, a head rating no clause decides,
-- the cause of a decline, a mitigation), each with its reason. Append-only:
-- the latest row for a unit and case is the decision in force, and the
-- published table is recomputed from these rows alone.
CREATE TABLE council_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    unit_id INTEGER NOT NULL REFERENCES units (id),
    case_code TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by INTEGER NOT NULL REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL
);
CREATE INDEX council_decisions_campaign ON council_decisions (campaign_id, unit_id);
CREATE TRIGGER council_decisions_no_update BEFORE UPDATE ON council_decisions
BEGIN
    SELECT RAISE(ABORT, 'council_decisions is append-only');
END;
CREATE TRIGGER council_decisions_no_delete BEFORE DELETE ON council_decisions
BEGIN
    SELECT RAISE(ABORT, 'council_decisions is append-only');
END;
