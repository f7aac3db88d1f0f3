DROP TABLE deadline_changes;
DROP FUNCTION deadline_changes_append_only();
ALTER TABLE campaigns DROP COLUMN profile_sha256;
