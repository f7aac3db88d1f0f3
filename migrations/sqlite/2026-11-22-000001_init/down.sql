DROP TABLE answers;
DROP TABLE responses;
DROP TABLE draft_answers;
DROP TABLE respondents;
DROP TABLE campaign_questionnaires;
DROP TABLE campaigns;
DROP TABLE questionnaire_versions;
DROP TABLE units;
