ALTER TABLE responses DROP COLUMN packed;
