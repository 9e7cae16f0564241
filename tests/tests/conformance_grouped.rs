//! Every conformance suite (`tenths_tests::suites`) against the core's SQLite backend with group
//! commit on, as `tenths serve` runs it (decision 101): behaviour is the same.

tenths_tests::conformance_tests!(tenths_tests::conformance::SqliteGrouped);
