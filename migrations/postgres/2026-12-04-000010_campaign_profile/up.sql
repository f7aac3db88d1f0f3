-- The province profile a campaign follows, frozen when it opens: a later edit
-- of the file, or a file outside the profiles directory, changes nothing.
ALTER TABLE campaigns ADD COLUMN profile_source TEXT;
