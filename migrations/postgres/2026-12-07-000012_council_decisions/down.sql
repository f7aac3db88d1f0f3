DROP TABLE council_decisions;
DROP FUNCTION council_decisions_append_only();
