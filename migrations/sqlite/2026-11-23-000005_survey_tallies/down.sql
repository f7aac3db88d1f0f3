DROP TABLE survey_tallies;
