-- tenths schema v6: the change-event log (issue 16, decisions 91-95). Frozen once released.
--
-- One row per change of an entry, appended in the transaction of the change and never updated.
-- `seq` is the order of appends (the rowid: pruning removes the oldest rows only, so the
-- largest position stays and a new one is always above it). Every other key leads with customer_id (a
-- future shard key): the event id, an entry's history by position, and a customer's events by
-- time then position. Times are ms since the epoch; `changes` is the JSON array of
-- {field, before, after}. Rows older than the customer's `event_retention_days` (none: kept
-- forever) are removed a bounded number at a time by later writes of the customer.
CREATE TABLE entry_events (
    seq         INTEGER PRIMARY KEY,
    customer_id TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    operation   TEXT    NOT NULL,
    actor_id    TEXT,
    role        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    device_at   INTEGER,
    request_id  TEXT,
    changes     TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX entry_events_by_id ON entry_events (customer_id, id);
CREATE INDEX entry_events_by_entry ON entry_events (customer_id, entry_id, seq);
CREATE INDEX entry_events_by_time ON entry_events (customer_id, at, seq);

-- The retention setting: days an event is kept (NULL: forever, the default).
ALTER TABLE customers ADD COLUMN event_retention_days INTEGER;
