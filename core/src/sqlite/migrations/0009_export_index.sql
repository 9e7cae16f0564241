-- tenths schema v9: the export window's pages walk an index of the exportable entries (issue 13,
-- decision 110). Frozen once released.
--
-- The v2 export pages by id inside a release-time window, with a bare id as the cursor. A page
-- after the first cannot know the window's largest id, so the page that turns out to be last
-- walked every later id of the customer, reading each row to test its release time (480,000
-- rows at one million entries). This partial index holds the live, released entries by
-- (customer, id) with their release time, so that walk reads index entries only (and only of
-- exportable entries), and a page reads the rows of its own entries alone.
CREATE INDEX entries_export ON entries (customer_id, id, last_release_pending_at)
    WHERE is_deleted = 0 AND status IN ('release-pending', 'release-succeeded');
