-- Issue 16: a response's scored answers in one compact text (see
-- chiso_domain::survey::packed), written with the answers, so a
-- recomputation reads one row per response. NULL for responses stored
-- before, and for the rare one whose values cannot be packed: those are
-- read from their answer rows.
ALTER TABLE responses ADD COLUMN packed TEXT;
