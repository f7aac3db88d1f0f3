DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE appraiser_assignments;
DROP TABLE explanations;
DROP TABLE appraisals;
DROP TABLE self_scores;
DROP TABLE dossiers;
