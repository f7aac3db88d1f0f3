DROP TABLE national_publications;
