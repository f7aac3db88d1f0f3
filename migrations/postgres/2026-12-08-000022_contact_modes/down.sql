DROP TABLE contact_attempts;
DROP INDEX respondents_short_code;
ALTER TABLE respondents DROP COLUMN short_code_hash;
ALTER TABLE frame_persons DROP COLUMN addressee;
ALTER TABLE frame_persons DROP COLUMN address;
ALTER TABLE frame_persons DROP COLUMN phone;
