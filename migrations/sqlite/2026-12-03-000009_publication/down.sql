DROP TABLE publications;
DROP TABLE published_scores;
DROP TABLE survey_points;
