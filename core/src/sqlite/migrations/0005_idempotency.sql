-- tenths schema v5: answers kept under idempotency keys (the `Idempotency-Key` header of every
-- mutating route, decisions 53-54). Frozen once released.
--
-- One row per (customer, user, key), customer first (a future shard key). The row is written in
-- the same transaction as the work it answers, so an acknowledged answer is never lost and the
-- work is never done twice. Rows live 24 hours (`created_at`, ms since the epoch); expired rows
-- are removed lazily by later keeping transactions of the same customer, through the index on
-- `(customer_id, created_at)`.
CREATE TABLE idempotent_answers (
    customer_id TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    key         TEXT    NOT NULL, -- 1..=255 visible ASCII characters
    fingerprint TEXT    NOT NULL, -- hex SHA-256 of the request's method, path and body
    status      INTEGER NOT NULL,
    headers     TEXT    NOT NULL, -- JSON [[name, value], ...]
    body        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, user_id, key)
) STRICT;

CREATE INDEX idempotent_answers_by_age ON idempotent_answers (customer_id, created_at);
