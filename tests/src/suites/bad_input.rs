//! Bad input through every public entry point of the engine: each refusal is a typed error that
//! names the field, and the store is the same afterwards (every row of every table compared,
//! through [`Opened::rows`]).

use std::sync::Arc;

use tenths::*;

use crate::conformance::{Backend, Opened};
use crate::{oid, ts};

struct World {
    engine: Opened,
    customer: ObjectId,
    scope: Scope,
    entry: ObjectId,
    released: ObjectId,
}

fn world(backend: &dyn Backend) -> World {
    let clock = Arc::new(FixedClock::new(ts("2026-03-10T18:00:00Z")));
    let engine = backend.open_inspectable(clock);
    let customer = oid(1);
    let scope = Scope::new(customer, oid(2));
    let matter = crate::simple_matter(&engine, &customer);
    let new = |summary: &str| NewEntry { initiative_id: Some(matter), summary: Some(summary.into()), duration_in_seconds: Some(420), ..Default::default() };
    let (e, _) = engine.create_entry(&scope, &new("Drafted")).unwrap();
    let (r, _) = engine.create_entry(&scope, &new("Filed")).unwrap();
    engine.release_entry(&scope, &r.id).unwrap();
    World { engine, customer, scope, entry: e.id, released: r.id }
}

fn refused<T: std::fmt::Debug>(w: &World, what: &str, kind: ErrorKind, field: Option<&str>, f: impl FnOnce(&World) -> Result<T>) {
    let before = w.engine.rows();
    let err = f(w).expect_err(what);
    assert_eq!(err.kind(), kind, "{what}: {err}");
    if let Some(field) = field {
        assert_eq!(err.field(), Some(field), "{what}: {err}");
    }
    assert_eq!(w.engine.rows(), before, "{what} changed the store");
}

pub fn engine_methods_refuse_bad_values_and_change_nothing(backend: &dyn Backend) {
    let w = world(backend);
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
