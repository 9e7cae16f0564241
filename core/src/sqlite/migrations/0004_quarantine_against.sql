-- tenths schema v4: a quarantined change keeps the server's copy it was refused against, so a
-- second refusal of the same entry can merge into it without losing the first (docs/sync.md,
-- decision 12). Frozen once released.
--
-- Rows quarantined before v4 keep their refused copy and have no server copy (NULL): a later
-- refusal measures them against its own server copy.
ALTER TABLE sync_quarantine ADD COLUMN against TEXT; -- JSON SyncedEntry, or NULL
