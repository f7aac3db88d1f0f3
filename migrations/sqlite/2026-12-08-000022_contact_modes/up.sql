-- Issue 18: people reached besides e-mail. A frame may carry a phone number,
-- a postal address and the addressee of a letter.
ALTER TABLE frame_persons ADD COLUMN phone TEXT;
ALTER TABLE frame_persons ADD COLUMN address TEXT;
ALTER TABLE frame_persons ADD COLUMN addressee TEXT;
-- The hash of the short code printed on a person's letter, typed at /ma;
-- set when the person's first letter is printed.
ALTER TABLE respondents ADD COLUMN short_code_hash TEXT;
CREATE UNIQUE INDEX respondents_short_code ON respondents (short_code_hash);
-- Every contact with a drawn person other than e-mail (whose messages are
-- in invitations): mode letter (outcome printed: in a print batch,
-- returned: undeliverable). One letter per person.
CREATE TABLE contact_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    respondent_id INTEGER NOT NULL REFERENCES respondents (id),
    mode TEXT NOT NULL,
    batch INTEGER,
    outcome TEXT NOT NULL,
    note TEXT,
    at TIMESTAMP NOT NULL,
    UNIQUE (respondent_id, mode)
);
CREATE INDEX contact_attempts_batch ON contact_attempts (campaign_id, mode, batch);
