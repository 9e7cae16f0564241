//! Bad input through every public entry point: each refusal is a typed error that names the
//! field, and the database is byte-for-byte the same afterwards (every table compared).

use std::sync::Arc;

use tenths::*;
use tenths_tests::{oid, ts, TempDir};

struct World {
    _dir: TempDir,
    path: std::path::PathBuf,
    engine: Engine,
    customer: ObjectId,
    scope: Scope,
    entry: ObjectId,
    released: ObjectId,
}

fn world() -> World {
    let dir = TempDir::new("bad-input");
    let path = dir.file("t.sqlite");
    let clock = Arc::new(FixedClock::new(ts("2026-03-10T18:00:00Z")));
    let engine = Engine::open_with(&path, OpenOptions::default(), clock).unwrap();
    let customer = oid(1);
    let scope = Scope::new(customer, oid(2));
    let matter = tenths_tests::simple_matter(&engine, &customer);
    let new = |summary: &str| NewEntry { initiative_id: Some(matter), summary: Some(summary.into()), duration_in_seconds: Some(420), ..Default::default() };
    let (e, _) = engine.create_entry(&scope, &new("Drafted")).unwrap();
    let (r, _) = engine.create_entry(&scope, &new("Filed")).unwrap();
    engine.release_entry(&scope, &r.id).unwrap();
    World { _dir: dir, path, engine, customer, scope, entry: e.id, released: r.id }
}

/// Every row of every table, as text.
fn snapshot(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1, 2")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut s = format!("{t}:");
                for i in 0..n {
                    s.push_str(&format!("{:?}|", r.get_ref(i)?));
                }
                Ok(s)
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

fn refused<T: std::fmt::Debug>(w: &World, what: &str, kind: ErrorKind, field: Option<&str>, f: impl FnOnce(&World) -> Result<T>) {
    let before = snapshot(&w.path);
    let err = f(w).expect_err(what);
    assert_eq!(err.kind(), kind, "{what}: {err}");
    if let Some(field) = field {
        assert_eq!(err.field(), Some(field), "{what}: {err}");
    }
    assert_eq!(snapshot(&w.path), before, "{what} changed the store");
}

#[test]
fn engine_methods_refuse_bad_values_and_change_nothing() {
    let w = world();
    let c = w.customer;
    let big = "x".repeat(model::MAX_TEXT_BYTES + 1);
    use ErrorKind::*;
    refused(&w, "zero increment", InvalidArgument, Some("defaultUnitIncrements"), |w| {
        w.engine.update_customer_settings(&c, &CustomerSettingsPatch { default_unit_increments: Some(0), ..Default::default() })
    });
    refused(&w, "unknown zone", InvalidArgument, Some("timezone"), |w| {
        w.engine.update_customer_settings(&c, &CustomerSettingsPatch { timezone: Some("Mars/Olympus".into()), ..Default::default() })
    });
    refused(&w, "user zone", InvalidArgument, Some("timezone"), |w| {
        w.engine.update_user_settings(&c, &oid(2), &UserSettings { timezone: Some("UTC+2".into()) })
    });
    refused(&w, "empty client id", InvalidArgument, Some("externalId"), |w| {
        w.engine.upsert_client(&c, &ClientInput { external_id: "".into(), name: "A".into(), call_sign: None, description: None })
    });
    refused(&w, "long client id", InvalidArgument, Some("externalId"), |w| {
        w.engine.upsert_client(&c, &ClientInput { external_id: "x".repeat(257), name: "A".into(), call_sign: None, description: None })
    });
    refused(&w, "code without type", NotFound, None, |w| {
        w.engine.upsert_code(
            &c,
            &CodeInput { external_id: "A1".into(), name: "A".into(), description: None, code_type_external_id: "nope".into(), is_disabled: None },
        )
    });
    refused(&w, "increment 86401", InvalidArgument, Some("unitIncrements"), |w| {
        w.engine.upsert_initiative(
            &c,
            &InitiativeInput {
                external_id: "M-9".into(),
                name: "M".into(),
                description: None,
                call_sign: None,
                client_external_id: None,
                billing_type: BillingType::Billable,
                unit_increments: 86_401,
                status: None,
                kind: None,
            },
        )
    });
    refused(&w, "codes of unknown matter", NotFound, None, |w| w.engine.set_initiative_codes(&c, "M-404", &[]));
    refused(&w, "unknown code", NotFound, None, |w| w.engine.set_initiative_codes(&c, "M-1", &["Z9".into()]));
    refused(&w, "access of unknown matter", NotFound, None, |w| w.engine.set_initiative_access(&c, "M-404", AccessKind::Deny, &[oid(2)]));
    refused(&w, "rules with empty code type", InvalidArgument, Some("requiredCodeTypeExternalIds[0]"), |w| {
        w.engine.set_validation_rules(&c, Some("M-1"), &ValidationRulesInput { required_code_type_external_ids: vec!["".into()], ..Default::default() })
    });
    refused(&w, "negative duration", InvalidArgument, Some("durationInSeconds"), |w| {
        w.engine.create_entry(&w.scope, &NewEntry { duration_in_seconds: Some(-1), ..Default::default() })
    });
    refused(&w, "duration and sources", InvalidArgument, Some("durationInSeconds"), |w| {
        w.engine.create_entry(
            &w.scope,
            &NewEntry {
                duration_in_seconds: Some(60),
                sources: vec![SourceInput {
                    kind: SourceKind::Call,
                    started_at: ts("2026-03-10T09:00:00Z"),
                    ended_at: ts("2026-03-10T09:10:00Z"),
                    title: None,
                }],
                ..Default::default()
            },
        )
    });
    refused(&w, "source ends before it starts", InvalidArgument, Some("sources[0].endedAt"), |w| {
        w.engine.create_entry(
            &w.scope,
            &NewEntry {
                sources: vec![SourceInput {
                    kind: SourceKind::Call,
                    started_at: ts("2026-03-10T09:00:00Z"),
                    ended_at: ts("2026-03-10T08:00:00Z"),
                    title: None,
                }],
                ..Default::default()
            },
        )
    });
    refused(&w, "source of 26 hours", InvalidArgument, Some("sources[0].endedAt"), |w| {
        w.engine.create_entry(
            &w.scope,
            &NewEntry {
                sources: vec![SourceInput {
                    kind: SourceKind::Call,
                    started_at: ts("2026-03-09T09:00:00Z"),
                    ended_at: ts("2026-03-10T11:00:00Z"),
                    title: None,
                }],
                ..Default::default()
            },
        )
    });
    refused(&w, "huge summary", InvalidArgument, Some("summary"), |w| {
        w.engine.create_entry(&w.scope, &NewEntry { summary: Some(big.clone()), ..Default::default() })
    });
    refused(&w, "unknown code on create", NotFound, None, |w| w.engine.create_entry(&w.scope, &NewEntry { code_ids: vec![oid(999)], ..Default::default() }));
    refused(&w, "same id, other body", Conflict, None, |w| {
        w.engine.create_entry(&w.scope, &NewEntry { id: Some(w.entry), summary: Some("another".into()), ..Default::default() })
    });
    refused(&w, "bad entry in a batch", InvalidArgument, Some("entries[1].durationInSeconds"), |w| {
        w.engine.import_entries(&w.scope, &[NewEntry::default(), NewEntry { duration_in_seconds: Some(10_000_000), ..Default::default() }])
    });
    refused(&w, "adjustment out of range", InvalidArgument, Some("unitIncrementCountAdjustments"), |w| {
        w.engine.edit_entry(&w.scope, &w.entry, &EntryPatch { unit_increment_count_adjustments: Some(1_000_000), ..Default::default() })
    });
    refused(&w, "timer adjustment out of range", InvalidArgument, Some("timerDurationAdjustmentInSeconds"), |w| {
        w.engine.edit_entry(&w.scope, &w.entry, &EntryPatch { timer_duration_adjustment_in_seconds: Some(i64::MIN), ..Default::default() })
    });
    refused(&w, "edit with unknown code", NotFound, None, |w| {
        w.engine.edit_entry(&w.scope, &w.entry, &EntryPatch { summary: Some("changed".into()), code_ids: Some(vec![oid(998)]), ..Default::default() })
    });
    refused(&w, "edit of another user's entry", NotFound, None, |w| {
        w.engine.edit_entry(&Scope::new(c, oid(3)), &w.entry, &EntryPatch { summary: Some("mine now".into()), ..Default::default() })
    });
    refused(&w, "edit in another tenant", NotFound, None, |w| {
        w.engine.edit_entry(&Scope::new(oid(9), oid(2)), &w.entry, &EntryPatch { summary: Some("mine now".into()), ..Default::default() })
    });
    refused(&w, "edit of a locked entry", Locked, None, |w| {
        w.engine.edit_entry(&w.scope, &w.released, &EntryPatch { summary: Some("late".into()), ..Default::default() })
    });
    refused(&w, "delete of a locked entry", Locked, None, |w| w.engine.delete_entry(&w.scope, &w.released));
    refused(&w, "release twice", Conflict, None, |w| w.engine.release_entry(&w.scope, &w.released));
    refused(&w, "release-failed without messages", InvalidArgument, Some("errors"), |w| w.engine.release_failed(&c, None, &w.released, &[]));
    refused(&w, "release-failed with a blank message", InvalidArgument, Some("errors[0]"), |w| w.engine.release_failed(&c, None, &w.released, &[" ".into()]));
    refused(&w, "release-failed of an unreleased entry", Conflict, None, |w| w.engine.release_failed(&c, None, &w.entry, &["no".into()]));
    refused(&w, "release-succeeded with an empty PMS id", InvalidArgument, Some("externalId"), |w| {
        w.engine.release_succeeded(&c, None, &w.released, Some(""), None)
    });
    refused(&w, "release-succeeded of an unreleased entry", Conflict, None, |w| w.engine.release_succeeded(&c, None, &w.entry, Some("P1"), None));
    refused(&w, "release-succeeded for the wrong user", NotFound, None, |w| w.engine.release_succeeded(&c, Some(&oid(3)), &w.released, Some("P1"), None));
    refused(&w, "batch over 1000", TooLarge, None, |w| {
        let items: Vec<ReleaseSucceededItem> = (0..1001)
            .map(|_| ReleaseSucceededItem { entry_id: w.released.to_string(), user_id: None, external_id: None, re_release_failed_messages: None })
            .collect();
        w.engine.release_succeeded_batch(&c, &items)
    });
    refused(&w, "unrelease of an editable entry", Conflict, None, |w| w.engine.unrelease(&w.scope, &w.entry));
    refused(&w, "stop a timer that is not running", Conflict, None, |w| w.engine.stop_timer(&w.scope, &w.entry));
    refused(&w, "resume a manual entry", Conflict, None, |w| w.engine.resume_timer(&w.scope, &w.entry));
    refused(&w, "timer with a taken id", Conflict, None, |w| w.engine.start_timer(&w.scope, &TimerStart { id: Some(w.entry), ..Default::default() }));
    let window = Window { after: ts("2026-01-01T00:00:00Z"), on_or_before: ts("2026-12-31T00:00:00Z") };
    refused(&w, "page size 0", InvalidArgument, Some("pageSize"), |w| w.engine.list_updated_page(&c, window, 0, None));
    refused(&w, "page size 101", InvalidArgument, Some("pageSize"), |w| w.engine.export_released_page(&c, window, 101, None));
    refused(&w, "reversed window", InvalidArgument, Some("onOrBefore"), |_| Window::new(ts("2026-02-01T00:00:00Z"), ts("2026-01-01T00:00:00Z")));
    refused(&w, "reversed dates", InvalidArgument, Some("workDateTo"), |w| {
        w.engine.list_entries(&w.scope, Date::parse("2026-03-10").unwrap(), Date::parse("2026-03-01").unwrap())
    });
}

#[test]
fn wire_inputs_refuse_unknown_fields_bad_ids_and_bad_numbers() {
    let bad: [(&str, &str); 9] = [
        (r#"{"summary": "x", "sumary": "typo"}"#, "unknown field"),
        (r#"{"unitIncrementCountAdjustments": 2.5}"#, "whole number"),
        (r#"{"unitIncrementCountAdjustments": 1e300}"#, "in range"),
        (r#"{"unitIncrementCountAdjustments": "2"}"#, "number"),
        (r#"{"initiativeId": "not-an-id"}"#, "24-character"),
        (r#"{"codeIds": ["62f6ba1e3c0a4b0012345abz"]}"#, "24-character"),
        (r#"{"workDate": "2022-02-30"}"#, "date"),
        (r#"{"workDate": "2022-08-12T00:00:00Z"}"#, "date"),
        (r#"{"timerDurationAdjustmentInSeconds": null, "x": 1}"#, "unknown field"),
    ];
    for (body, why) in bad {
        let err = serde_json::from_str::<EntryPatch>(body).unwrap_err().to_string();
        assert!(err.contains(why), "{body}: {err}");
    }
    let ok: EntryPatch = serde_json::from_str(r#"{"unitIncrementCountAdjustments": 2.0, "initiativeId": "62F6BA1E3C0A4B0012345ABC"}"#).unwrap();
    assert_eq!(ok.unit_increment_count_adjustments, Some(2));
    assert_eq!(ok.initiative_id.unwrap().as_str(), "62f6ba1e3c0a4b0012345abc");
    assert!(serde_json::from_str::<NewEntry>(
        r#"{"sources": [{"kind": "telepathy", "startedAt": "2026-03-10T09:00:00Z", "endedAt": "2026-03-10T09:10:00Z"}]}"#
    )
    .is_err());
    assert!(serde_json::from_str::<NewEntry>(r#"{"sources": [{"kind": "call", "startedAt": "yesterday", "endedAt": "2026-03-10T09:10:00Z"}]}"#).is_err());
    assert!(serde_json::from_str::<InitiativeInput>(r#"{"externalId": "M", "name": "M", "billingType": "free", "unitIncrements": 360}"#).is_err());
}
