DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE appraiser_assignments;
DROP TABLE explanations;
DROP TABLE appraisals;
DROP TABLE self_scores;
DROP TABLE dossiers;
