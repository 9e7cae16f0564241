-- tenths PostgreSQL schema v3: the change-event log (issue 16, decisions 91-95). Frozen once
-- released.
--
-- One row per change of an entry, appended in the transaction of the change and never updated.
-- customer_id leads every key (the distribution column): the primary key (customer, seq), the
-- event id, an entry's history by position, and a customer's events by time then position.
-- `seq` is the order of appends (an identity, never reused). Rows older than the customer's
-- `event_retention_days` (NULL: kept forever) are removed a bounded number at a time.
CREATE TABLE entry_events (
    customer_id text COLLATE "C" NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    id          text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    entry_id    text COLLATE "C" NOT NULL,
    kind        text NOT NULL,
    operation   text NOT NULL,
    actor_id    text COLLATE "C",
    role        text NOT NULL,
    at          timestamptz NOT NULL,
    device_at   timestamptz,
    request_id  text,
    changes     jsonb NOT NULL,
    PRIMARY KEY (customer_id, seq)
);

CREATE UNIQUE INDEX entry_events_by_id ON entry_events (customer_id, id);
CREATE INDEX entry_events_by_entry ON entry_events (customer_id, entry_id, seq);
CREATE INDEX entry_events_by_time ON entry_events (customer_id, at, seq);

ALTER TABLE customers ADD COLUMN event_retention_days integer;
