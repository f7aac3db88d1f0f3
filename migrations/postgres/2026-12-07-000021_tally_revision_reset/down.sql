-- Nothing to undo: the old revisions were only a fingerprint.
SELECT 1;
