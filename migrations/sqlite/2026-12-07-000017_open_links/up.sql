-- Issue 15: an open link is a per-campaign, per-questionnaire switch. Forms
-- for citizens and businesses keep theirs; leader and civil-servant forms,
-- whose answers rate the respondent's own agency, are closed to open links
-- unless staff open them.
ALTER TABLE campaign_questionnaires ADD COLUMN open_link BOOLEAN NOT NULL DEFAULT 0;
UPDATE campaign_questionnaires SET open_link = TRUE
WHERE questionnaire_version_id IN (
    SELECT id FROM questionnaire_versions
    WHERE source LIKE '%group = "citizen"%' OR source LIKE '%group = "business"%'
);
-- Who started a form through an open link, as keyed hashes (HMAC with the
-- service key) of the client's address and of a device cookie: enough to
-- count forms from the same client, not to recover the address.
ALTER TABLE respondents ADD COLUMN open_client TEXT;
ALTER TABLE respondents ADD COLUMN open_device TEXT;
