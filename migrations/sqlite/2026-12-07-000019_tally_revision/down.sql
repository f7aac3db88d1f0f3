ALTER TABLE survey_tallies DROP COLUMN revision;
