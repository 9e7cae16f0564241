//! The reference cache (settings, zones, rules, matters, codes, known users) lives across
//! transactions, one per connection. These tests prove it never answers stale data: a change
//! made by another engine on the same file (another process, as far as the cache can tell) is
//! seen by the very next operation, on the writer and on the reader connections, and a rolled
//! back transaction leaves nothing behind in it.

use std::sync::Arc;

use tenths::*;
use tenths_tests::{oid, ts, TempDir};

fn matter(unit_increments: i64, name: &str) -> InitiativeInput {
    InitiativeInput {
        external_id: "M-1".into(),
        name: name.into(),
        description: None,
        call_sign: None,
        client_external_id: None,
        billing_type: BillingType::Billable,
        unit_increments,
        status: None,
        kind: None,
    }
}

fn ten_minutes(initiative: ObjectId) -> NewEntry {
    NewEntry { initiative_id: Some(initiative), summary: Some("Drafted the brief".into()), duration_in_seconds: Some(600), ..Default::default() }
}

/// Two engines on one file: `a` warms its caches, `b` changes reference data behind its back.
fn two_engines(dir: &TempDir) -> (Engine, Engine) {
    let path = dir.file("firm.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-11-02T12:00:00Z")));
    let a = Engine::open_with(&path, OpenOptions::default(), clock.clone()).expect("open a");
    let b = Engine::open_with(&path, OpenOptions::default(), clock).expect("open b");
    (a, b)
}

#[test]
fn another_process_reference_change_is_seen_by_the_next_operation() {
    let dir = TempDir::new("refcache");
    let (a, b) = two_engines(&dir);
    let c = oid(1);
    let scope = Scope::new(c, oid(2));
    let m = a.upsert_initiative(&c, &matter(360, "Acme v. Widget")).unwrap();
    let (first, _) = a.create_entry(&scope, &ten_minutes(m.id)).unwrap();
    assert_eq!((first.unit_increments, first.unit_increment_count()), (360, 2), "10 minutes in 6-minute units, rounded up");
    // a's writer and reader connections have now cached the matter, the settings and the zone.
    assert_eq!(a.list_entries(&scope, first.work_date, first.work_date).unwrap()[0].initiative.as_ref().map(|i| i.name.clone()), Some("Acme v. Widget".into()));

    // Another writer: 15-minute units and a new name for the matter; nearest rounding.
    b.upsert_initiative(&c, &matter(900, "Acme Holdings v. Widget")).unwrap();
    b.update_customer_settings(&c, &CustomerSettingsPatch { rounding: Some(Rounding::Nearest), ..Default::default() }).unwrap();

    let (second, _) = a.create_entry(&scope, &ten_minutes(m.id)).unwrap();
    assert_eq!(second.unit_increments, 900, "the create saw the other writer's increments");
    assert_eq!(second.unit_increment_count(), 1, "and its rounding: 600 s is nearest to one 15-minute unit");
    assert_eq!(second.initiative.as_ref().map(|i| i.name.as_str()), Some("Acme Holdings v. Widget"));
    let listed = a.list_entries(&scope, first.work_date, first.work_date).unwrap();
    assert!(listed.iter().all(|e| e.initiative.as_ref().map(|i| i.name.as_str()) == Some("Acme Holdings v. Widget")), "the reader saw the new name");

    // The other writer's rule change: a summary is now required, and the next edit of an entry
    // without one fails validation.
    b.set_validation_rules(&c, None, &ValidationRulesInput { is_summary_required: Some(true), ..Default::default() }).unwrap();
    let edited = a.edit_entry(&scope, &second.id, &EntryPatch { summary: Some(String::new()), ..Default::default() }).unwrap();
    assert_eq!(edited.status, Status::ValidationFailed);
    assert_eq!(edited.validation_failed_errors.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), vec!["summary"]);
}

#[test]
fn a_rolled_back_transaction_leaves_nothing_in_the_cache() {
    let dir = TempDir::new("refcache-rollback");
    let (a, _b) = two_engines(&dir);
    // A customer and user never seen: the create makes their rows, then fails on an unknown
    // code, and the whole transaction (the rows too) rolls back.
    let c = oid(7);
    let scope = Scope::new(c, oid(8));
    let bad = NewEntry { code_ids: vec![oid(99)], duration_in_seconds: Some(60), ..Default::default() };
    assert!(matches!(a.create_entry(&scope, &bad), Err(TenthsError::NotFound { .. })));
    // Were the user remembered as existing, this create would skip making the customer's row
    // and fail on the foreign key.
    let (e, created) = a.create_entry(&scope, &NewEntry { duration_in_seconds: Some(60), ..Default::default() }).unwrap();
    assert!(created);
    assert_eq!(a.get_entry(&scope, &e.id).unwrap().id, e.id);
}
