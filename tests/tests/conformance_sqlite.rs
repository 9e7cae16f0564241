//! Every conformance suite (`tenths_tests::suites`) against the core's SQLite backend.

tenths_tests::conformance_tests!(tenths_tests::conformance::SqliteMemory);
