CREATE INDEX frame_persons_unit ON frame_persons (frame_id, unit_id, respondent_group);
