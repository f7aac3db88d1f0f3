-- An archived campaign leaves the lists but keeps every row it owns.
ALTER TABLE campaigns ADD COLUMN archived_at TIMESTAMP;
