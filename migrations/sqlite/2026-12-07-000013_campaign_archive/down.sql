ALTER TABLE campaigns DROP COLUMN archived_at;
