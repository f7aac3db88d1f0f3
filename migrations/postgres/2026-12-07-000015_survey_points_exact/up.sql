-- A survey criterion's points as computed from the estimates, exactly (whole
-- ticks of 10^-6 x 2^-64 of a point, see chiso_domain::points), so a
-- published index recomputes to the same figure; points_micro stays for
-- people reading the table.
ALTER TABLE survey_points ADD COLUMN points_exact TEXT;
