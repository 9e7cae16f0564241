-- tenths PostgreSQL schema v7: the overlap neighbours of a write read from their index alone
-- (issue 13, decision 114). Frozen once released.
--
-- As SQLite's schema v10: the user's closed sessions by start, carrying their end and entry, so
-- the neighbour query of every write with sessions is an index-only range. customer_id leads it
-- (the distribution column).
DROP INDEX sources_by_user_start;
CREATE INDEX sources_by_user_start ON sources (customer_id, user_id, started_at) INCLUDE (ended_at, entry_pk)
    WHERE entry_pk IS NOT NULL AND ended_at IS NOT NULL;
