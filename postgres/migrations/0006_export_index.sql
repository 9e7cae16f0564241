-- tenths PostgreSQL schema v6: the export window's pages walk an index of the exportable entries
-- (issue 13, decision 110). Frozen once released.
--
-- As SQLite's schema v9: the live, released entries by (customer, id) carrying their release
-- time, so a page by id after a cursor tests the release time from the index, and the last
-- page's walk past the window's largest id reads no rows. customer_id leads it.
CREATE INDEX entries_export ON entries (customer_id, id) INCLUDE (last_release_pending_at)
    WHERE NOT is_deleted AND status IN ('release-pending', 'release-succeeded');
