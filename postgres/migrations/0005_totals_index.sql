-- tenths PostgreSQL schema v5: the customer's totals of a week read from one index (issue 13,
-- decision 105). Frozen once released.
--
-- As SQLite's schema v8: the live entries by (customer, work date), carrying what the totals
-- query sums, so a customer-wide week is an index-only range instead of a scan of the customer's
-- entries. customer_id leads it (the distribution column).
CREATE INDEX entries_totals ON entries (customer_id, work_date)
    INCLUDE (user_id, initiative_id, units_from_sources, units_adjustments, unit_increments)
    WHERE NOT is_deleted;
