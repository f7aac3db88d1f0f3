DROP TABLE draw_strata;
