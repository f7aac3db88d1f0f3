-- Issue 16: each tally row counts its changes, so a page can tell with one
-- cheap aggregate (count and sum of revisions, which only grows) whether the
-- running sums it parsed before are still current, on any instance.
ALTER TABLE survey_tallies ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
