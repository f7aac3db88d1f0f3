ALTER TABLE survey_points DROP COLUMN points_exact;
