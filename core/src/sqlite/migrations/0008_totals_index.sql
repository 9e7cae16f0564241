-- tenths schema v8: the customer's totals of a week read from one index (issue 13, decision 105).
-- Frozen once released.
--
-- `totals` for every user of a customer groups the live entries of a work-date range by user,
-- date and matter. The only index on the work date led with the user, so that query read every
-- entry row of the customer (100,000 rows for one week of ten weeks). This partial index holds the
-- live entries by (customer, work date) with every column the query reads, so the range is read
-- from the index alone. A user's own totals keep `entries_by_user_day`.
CREATE INDEX entries_totals ON entries (customer_id, work_date, user_id, initiative_id, units_from_sources, units_adjustments, unit_increments)
    WHERE is_deleted = 0;
