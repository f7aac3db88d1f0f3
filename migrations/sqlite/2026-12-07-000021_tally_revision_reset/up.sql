-- Issue 16: a full recomputation gave every tally row the old sum of
-- revisions plus one, multiplying the sum by the row count each time, until
-- the sum overflowed and every results page failed. Recomputations now add
-- one to the sum; the sums already stored start again from zero (caches of
-- parsed tallies live in a process, which restarts to migrate).
UPDATE survey_tallies SET revision = 0;
