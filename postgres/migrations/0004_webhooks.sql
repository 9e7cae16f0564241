-- tenths PostgreSQL schema v4: webhook subscriptions and their outbox of deliveries (issue 16,
-- decisions 96-100). Frozen once released.
--
-- customer_id leads every key and every foreign key (the distribution column). A delivery row is
-- written in the transaction of the change whose event it carries (the transactional outbox).
-- The delivery workers of any number of `tenths serve` processes find what is due through
-- `webhook_deliveries_due` (the one statement that spans customers: on Citus, a fan-out to every
-- shard, each answering from its local partial index), then claim one row at a time by writing a
-- lease (`lease_owner`, `lease_until`) in a short SERIALIZABLE transaction of the row's customer:
-- two workers claiming the same row conflict, and the one re-run sees the lease.
CREATE TABLE webhook_subscriptions (
    customer_id     text COLLATE "C" NOT NULL REFERENCES customers (customer_id),
    id              text COLLATE "C" NOT NULL,
    url             text NOT NULL,
    kinds           jsonb NOT NULL,   -- array of event kind wire names
    secret          text NOT NULL,    -- whsec_ and 64 hex digits
    created_at      timestamptz NOT NULL,
    disabled_at     timestamptz,      -- set by the worker when deliveries keep dying
    disabled_reason text,
    dead_in_a_row   bigint NOT NULL DEFAULT 0,
    next_seq        bigint NOT NULL DEFAULT 0, -- the seq of its last delivery
    PRIMARY KEY (customer_id, id)
);

CREATE TABLE webhook_deliveries (
    customer_id     text COLLATE "C" NOT NULL,
    subscription_id text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    event_id        text COLLATE "C" NOT NULL,
    kind            text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'held')),
    attempts        bigint NOT NULL DEFAULT 0,
    payload         text NOT NULL,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    last_status     bigint,
    last_error      text,
    delivered_at    timestamptz,
    lease_owner     text,
    lease_until     timestamptz,
    PRIMARY KEY (customer_id, id),
    UNIQUE (customer_id, subscription_id, seq),
    FOREIGN KEY (customer_id, subscription_id) REFERENCES webhook_subscriptions (customer_id, id) ON DELETE CASCADE
);

-- What is due, across customers: only pending rows are in it.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
-- A subscription's pending deliveries in order (its head; holding and queueing them again).
CREATE INDEX webhook_deliveries_by_state ON webhook_deliveries (customer_id, subscription_id, state, seq);
