-- The day the Ministry of Home Affairs published a year's provincial index
-- (the scores the heads answer for): Thái Bình art. 20.2 counts the report
-- with the explain list from it ("chậm nhất 30 ngày sau khi … Bộ Nội vụ
-- công bố"). One row per year; entered with the provincial scores.
CREATE TABLE national_publications (
    year INTEGER PRIMARY KEY NOT NULL,
    published_on DATE NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
