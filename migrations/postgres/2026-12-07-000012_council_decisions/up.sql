-- The council's decisions on the cases the rules leave open (a unit without
-- a dossier, a withheld survey component, a head rating no clause decides,
-- the cause of a decline, a mitigation), each with its reason. Append-only:
-- the latest row for a unit and case is the decision in force, and the
-- published table is recomputed from these rows alone.
CREATE TABLE council_decisions (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    case_code TEXT NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by BIGINT NOT NULL REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL
);
CREATE INDEX council_decisions_campaign ON council_decisions (campaign_id, unit_id);
CREATE FUNCTION council_decisions_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'council_decisions is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER council_decisions_no_change BEFORE UPDATE OR DELETE ON council_decisions
    FOR EACH ROW EXECUTE FUNCTION council_decisions_append_only();
CREATE TRIGGER council_decisions_no_truncate BEFORE TRUNCATE ON council_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION council_decisions_append_only();
