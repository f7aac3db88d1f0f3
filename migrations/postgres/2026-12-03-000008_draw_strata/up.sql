-- Per stratum of a draw: the people it stands for (Σ design weights of the
-- original sample) and those given a token (sampled, and reserves once
-- released). Kept with the draw and each release, so a results page reads a
-- row per stratum instead of summing a million members.
CREATE TABLE draw_strata (
    draw_id BIGINT NOT NULL REFERENCES draws (id),
    stratum TEXT NOT NULL,
    represented DOUBLE PRECISION NOT NULL,
    invited BIGINT NOT NULL,
    PRIMARY KEY (draw_id, stratum)
);
INSERT INTO draw_strata (draw_id, stratum, represented, invited)
SELECT draw_id, stratum,
       SUM(CASE WHEN reserve_rank IS NULL THEN design_weight ELSE 0 END),
       SUM(CASE WHEN respondent_id IS NOT NULL THEN 1 ELSE 0 END)
FROM sample_members
GROUP BY draw_id, stratum;
