-- tenths schema v7: webhook subscriptions and their outbox of deliveries (issue 16, decisions
-- 96-100). Frozen once released.
--
-- Customer first in every key. A delivery row is written in the transaction of the change whose
-- event it carries (the transactional outbox); the delivery worker of `tenths serve` reads what
-- is due through `webhook_deliveries_due` (the one query that spans customers), claims one row
-- at a time under a lease (`lease_owner`, `lease_until`) in a short transaction, posts it, and
-- records the outcome. `seq` orders a subscription's deliveries: only the pending one with the
-- lowest seq is attempted (one in flight per subscription, in order).
CREATE TABLE webhook_subscriptions (
    customer_id     TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    kinds           TEXT    NOT NULL, -- JSON array of event kind wire names
    secret          TEXT    NOT NULL, -- whsec_ and 64 hex digits
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,          -- set by the worker when deliveries keep dying
    disabled_reason TEXT,
    dead_in_a_row   INTEGER NOT NULL DEFAULT 0,
    next_seq        INTEGER NOT NULL DEFAULT 0, -- the seq of its last delivery
    PRIMARY KEY (customer_id, id)
) STRICT;

CREATE TABLE webhook_deliveries (
    customer_id     TEXT    NOT NULL,
    subscription_id TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    event_id        TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'held')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, subscription_id, seq),
    FOREIGN KEY (customer_id, subscription_id) REFERENCES webhook_subscriptions (customer_id, id) ON DELETE CASCADE
) STRICT;

-- What is due, across customers: only pending rows are in it.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
-- A subscription's pending deliveries in order (its head; holding and queueing them again).
CREATE INDEX webhook_deliveries_by_state ON webhook_deliveries (customer_id, subscription_id, state, seq);
