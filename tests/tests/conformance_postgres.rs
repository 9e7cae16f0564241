//! Every conformance suite (`tenths_tests::suites`) against the PostgreSQL backend
//! (`tenths-postgres`), each engine in a fresh schema of the database `TENTHS_TEST_PG_URL` names:
//!
//! ```text
//! TENTHS_REQUIRE_PG=1 scripts/with-postgres cargo test -p tenths-tests --test conformance_postgres
//! ```
//!
//! Without the URL the tests say they were skipped and pass, unless `TENTHS_REQUIRE_PG=1`.

tenths_tests::conformance_tests!(tenths_tests::conformance::Postgres::from_env());

/// A run that must test PostgreSQL fails here, by name, when it has no database.
#[test]
fn postgres_is_there_when_required() {
    let required = std::env::var("TENTHS_REQUIRE_PG").is_ok_and(|v| v == "1");
    let url = std::env::var("TENTHS_TEST_PG_URL").ok().filter(|u| !u.is_empty());
    assert!(!required || url.is_some(), "TENTHS_REQUIRE_PG=1 but TENTHS_TEST_PG_URL is not set");
}
