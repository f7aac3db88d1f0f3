-- The SHA-256 of the profile text frozen with a campaign, shown on its page
-- so a published table can be tied to the exact rules it was computed with.
ALTER TABLE campaigns ADD COLUMN profile_sha256 TEXT;

-- A campaign's deadlines are the profile's yearly rules for its year; this
-- append-only log holds every change an administrator made to one of them,
-- for all units (unit_id NULL) or as an extension for one unit, with the
-- reason. The latest row for a unit, else for all, is the deadline in force.
CREATE TABLE deadline_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    code TEXT NOT NULL,
    unit_id INTEGER REFERENCES units (id),
    due DATE NOT NULL,
    reason TEXT NOT NULL,
    changed_by INTEGER NOT NULL REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX deadline_changes_campaign ON deadline_changes (campaign_id, code);
CREATE TRIGGER deadline_changes_no_update BEFORE UPDATE ON deadline_changes
BEGIN
    SELECT RAISE(ABORT, 'deadline_changes is append-only');
END;
CREATE TRIGGER deadline_changes_no_delete BEFORE DELETE ON deadline_changes
BEGIN
    SELECT RAISE(ABORT, 'deadline_changes is append-only');
END;
