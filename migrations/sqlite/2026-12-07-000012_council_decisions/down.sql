DROP TABLE council_decisions;
