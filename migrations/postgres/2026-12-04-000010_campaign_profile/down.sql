ALTER TABLE campaigns DROP COLUMN profile_source;
