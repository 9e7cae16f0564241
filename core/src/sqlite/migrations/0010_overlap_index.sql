-- tenths schema v10: the overlap neighbours of a write read from their index alone (issue 13,
-- decision 114). Frozen once released.
--
-- Every write of an entry with sessions asks which closed sessions of the same user meet its
-- intervals: those starting in [start - 25 h, end) (a session lasts at most 25 hours) and ending
-- after its start. `sources_by_user_start` held the start only, so each session of that window
-- cost a read of its row for the end and the entry; a timekeeper whose mail and documents are
-- captured has hundreds of sessions a day. The index now carries both.
DROP INDEX sources_by_user_start;
CREATE INDEX sources_by_user_start ON sources (customer_id, user_id, started_at, ended_at, entry_pk)
    WHERE entry_pk IS NOT NULL AND ended_at IS NOT NULL;
