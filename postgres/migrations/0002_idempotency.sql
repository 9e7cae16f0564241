-- tenths PostgreSQL schema v2: answers kept under idempotency keys (the `Idempotency-Key` header
-- of every mutating route, decisions 53-54). Frozen once released.
--
-- One row per (customer, user, key), customer first (the distribution column). The row is
-- written in the same transaction as the work it answers; a concurrent request with the same key
-- read the missing row in its SERIALIZABLE transaction, so one of the two fails to serialise and
-- its re-run replays the other's answer. Rows live 24 hours; expired rows are removed lazily, a
-- few at a time, by later keeping transactions of the same customer.
CREATE TABLE idempotent_answers (
    customer_id text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL, -- 1..=255 visible ASCII characters
    fingerprint text NOT NULL,             -- hex SHA-256 of the request's method, path and body
    status      integer NOT NULL,
    headers     jsonb NOT NULL,            -- [[name, value], ...]
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, user_id, key)
);

CREATE INDEX idempotent_answers_by_age ON idempotent_answers (customer_id, created_at);
