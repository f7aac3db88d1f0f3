ALTER TABLE respondents DROP COLUMN open_device;
ALTER TABLE respondents DROP COLUMN open_client;
ALTER TABLE campaign_questionnaires DROP COLUMN open_link;
