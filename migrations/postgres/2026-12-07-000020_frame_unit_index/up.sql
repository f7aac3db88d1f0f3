-- Issue 16: the plan and the draw read a frame in one pass by id and count
-- its people in memory, so nothing looks frame rows up by unit and group;
-- the index only slowed every frame import.
DROP INDEX frame_persons_unit;
