DROP TABLE deadline_changes;
ALTER TABLE campaigns DROP COLUMN profile_sha256;
