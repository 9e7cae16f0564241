-- tenths schema v3: the per-user feed position as a row of its own. Frozen once released.
--
-- Until v2 a write took max(change_seq) + 1 over the user's entries, which is right only while
-- one writer holds the whole database. The next position now comes from this row, updated in
-- the same transaction as the entry, so concurrent writers (several server processes on one
-- PostgreSQL) can neither repeat a position nor hand them out of order.
CREATE TABLE feed_positions (
    customer_id TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (customer_id, user_id)
) STRICT, WITHOUT ROWID;

INSERT INTO feed_positions (customer_id, user_id, seq)
SELECT customer_id, user_id, max(change_seq) FROM entries GROUP BY customer_id, user_id;
