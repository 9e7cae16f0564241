//! The event log's difference: table tests of the kinds and roles, and properties of [`diff`]:
//! applying the changes to the fields before gives the fields after; no change, no field.

use proptest::prelude::*;

use super::*;
use crate::model::{Source, SourceKind, WorkCode};
use crate::rules::status::Status;
use crate::rules::time::Date;

fn id(n: u8) -> ObjectId {
    ObjectId::parse(&format!("64b7f0c2a1b2c3d4e5f600{n:02x}")).unwrap()
}

fn base() -> Entry {
    let now = Timestamp::from_millis_clamped(1_700_000_000_000);
    Entry {
        id: id(3),
        customer_id: id(1),
        user_id: id(2),
        created_by: Some(id(2)),
        released_by: None,
        external_id: None,
        enrichment_correlation_id: None,
        summary: String::new(),
        notes: None,
        work_date: Date::parse("2026-01-05").unwrap(),
        initiative_id: None,
        initiative: None,
        codes: Vec::new(),
        creation_method: "manual".into(),
        created_as_timer: false,
        timer_duration_adjustment_in_seconds: 0,
        entered_duration_in_seconds: None,
        raw_seconds: 0,
        unit_increments: 360,
        unit_increment_count_from_sources: 0,
        unit_increment_count_adjustments: 0,
        overlap_time_in_seconds: 0,
        status: Status::ValidationPending,
        validation_failed_errors: Vec::new(),
        release_failed_errors: Vec::new(),
        re_release_failed_messages: Vec::new(),
        is_locked: false,
        is_deleted: false,
        release_count: 0,
        last_release_pending_at: None,
        last_release_failed_at: None,
        release_success_at: None,
        last_synced_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
        sources: Vec::new(),
    }
}

/// An entry varied in the fields the log tracks (and in `updatedAt`/`version`, which it leaves
/// out).
fn arb_entry() -> impl Strategy<Value = Entry> {
    (
        prop::option::of("[a-z ]{0,8}"),
        prop::option::of("[a-z]{0,6}"),
        0u8..4,
        prop::option::of(0u8..3),
        0usize..3,
        0usize..3,
        any::<bool>(),
        any::<bool>(),
        0i64..4,
        prop::option::of(0i64..3),
        (-3i64..3, prop::option::of(0i64..3600), 0i64..5, any::<i64>()),
    )
        .prop_map(|(summary, notes, day, initiative, codes, sources, locked, deleted, releases, pending, (adj, entered, version, updated))| {
            let mut e = base();
            e.summary = summary.unwrap_or_default();
            e.notes = notes;
            e.work_date = Date::parse("2026-01-05").unwrap().add_days(i64::from(day)).unwrap();
            e.initiative_id = initiative.map(|n| id(10 + n));
            e.codes = (0..codes)
                .map(|i| WorkCode {
                    id: id(20 + i as u8),
                    external_id: format!("C{i}"),
                    code_type_external_id: "T".into(),
                    name: "n".into(),
                    assigned_by: crate::model::AssignedBy::User,
                })
                .collect();
            e.sources = (0..sources)
                .map(|i| Source {
                    id: id(30 + i as u8),
                    kind: SourceKind::Timer,
                    started_at: Timestamp::from_millis_clamped(1_000 * i as i64),
                    ended_at: (i % 2 == 0).then(|| Timestamp::from_millis_clamped(1_000 * i as i64 + 500)),
                    title: None,
                })
                .collect();
            e.is_locked = locked;
            e.is_deleted = deleted;
            e.status = if locked { Status::ReleasePending } else { Status::ValidationSucceeded };
            e.release_count = releases;
            e.last_release_pending_at = pending.map(|n| Timestamp::from_millis_clamped(n * 1000));
            e.unit_increment_count_adjustments = adj;
            e.entered_duration_in_seconds = entered;
            e.version = version;
            e.updated_at = Timestamp::from_millis_clamped(updated);
            e
        })
}

proptest! {
    #[test]
    fn applying_the_changes_to_before_gives_after(before in arb_entry(), after in arb_entry()) {
        let mut fields = tracked_fields(&before);
        apply_changes(&mut fields, &diff(Some(&before), &after));
        prop_assert_eq!(fields, tracked_fields(&after));
    }

    #[test]
    fn no_change_no_field(e in arb_entry(), version in 0i64..9, updated in any::<i64>()) {
        let moved = Entry { version, updated_at: Timestamp::from_millis_clamped(updated), ..e.clone() };
        prop_assert!(diff(Some(&e), &moved).is_empty());
    }

    #[test]
    fn a_new_entry_lists_its_fields(e in arb_entry()) {
        let mut fields = serde_json::Map::new();
        apply_changes(&mut fields, &diff(None, &e));
        prop_assert_eq!(fields, tracked_fields(&e));
    }

    #[test]
    fn the_stored_encoding_reads_back_as_the_diff(before in arb_entry(), after in arb_entry()) {
        for b in [None, Some(&before)] {
            let stored = encode_diff(b, &after);
            let read: Vec<FieldChange> = serde_json::from_str(stored.as_str()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(read, diff(b, &after));
        }
        let unchanged = encode_diff(Some(&after), &after);
        prop_assert_eq!(unchanged.as_str(), "[]");
    }
}

#[test]
fn only_changed_fields_by_wire_name() {
    let before = base();
    let mut after = before.clone();
    after.summary = "Drafted the brief".into();
    after.notes = Some("call client".into());
    after.touch(Timestamp::from_millis_clamped(1_800_000_000_000));
    let changes = diff(Some(&before), &after);
    assert_eq!(changed_fields(&changes), ["summary", "notes"]);
    assert_eq!(changes[1].before, serde_json::Value::Null);
    assert_eq!(changes[1].after, serde_json::json!("call client"));
}

#[test]
fn kinds_and_roles_round_trip_their_wire_names() {
    for k in EventKind::ALL {
        assert_eq!(EventKind::parse(k.as_str()).unwrap(), k);
        assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
    }
    for r in ActorRole::ALL {
        assert_eq!(ActorRole::parse(r.as_str()).unwrap(), r);
        assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.as_str()));
    }
    assert_eq!(EventKind::parse_field("entry.nope", "kinds[0]").unwrap_err().field(), Some("kinds[0]"));
}
