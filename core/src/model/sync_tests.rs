//! Table-driven tests of the sync policy: base / local / remote / expected.

use super::*;
use crate::rules::merge::*;

use crate::error::TenthsError;
use crate::model::SourceKind;
use crate::rules::status::Status;
use crate::rules::time::Date;

fn id(n: u8) -> ObjectId {
    ObjectId::parse(&format!("{:024x}", u128::from(n) + 0x6500_0000_0000_0000_0000_0000)).expect("test id")
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_780_000_000_000 + ms).expect("test time")
}

fn fields() -> UserFields {
    UserFields {
        summary: "draft".into(),
        notes: None,
        work_date: Date::parse("2026-11-02").expect("date"),
        initiative_id: Some(id(1)),
        code_ids: vec![id(2)],
        unit_increment_count_adjustments: 0,
        timer_duration_adjustment_in_seconds: 0,
        entered_duration_in_seconds: Some(600),
        sources: Vec::new(),
        is_deleted: false,
        released: false,
    }
}

fn with(f: impl FnOnce(&mut UserFields)) -> UserFields {
    let mut x = fields();
    f(&mut x);
    x
}

struct Case {
    name: &'static str,
    base: Option<UserFields>,
    local: UserFields,
    remote: UserFields,
    allow_post_release_edit: bool,
    expected: UserFields,
    conflicts: &'static [SyncField],
    outcome: MergeOutcome,
}

#[test]
fn reconcile_table() {
    let cases = vec![
        Case {
            name: "nothing changed",
            base: Some(fields()),
            local: fields(),
            remote: fields(),
            allow_post_release_edit: false,
            expected: fields(),
            conflicts: &[],
            outcome: MergeOutcome::InSync,
        },
        Case {
            name: "changed locally only: local wins, still to send",
            base: Some(fields()),
            local: with(|f| f.summary = "mine".into()),
            remote: fields(),
            allow_post_release_edit: false,
            expected: with(|f| f.summary = "mine".into()),
            conflicts: &[],
            outcome: MergeOutcome::Pending,
        },
        Case {
            name: "changed remotely only: remote wins",
            base: Some(fields()),
            local: fields(),
            remote: with(|f| f.notes = Some("theirs".into())),
            allow_post_release_edit: false,
            expected: with(|f| f.notes = Some("theirs".into())),
            conflicts: &[],
            outcome: MergeOutcome::InSync,
        },
        Case {
            name: "different fields on each side: both kept",
            base: Some(fields()),
            local: with(|f| f.summary = "mine".into()),
            remote: with(|f| f.unit_increment_count_adjustments = 2),
            allow_post_release_edit: false,
            expected: with(|f| {
                f.summary = "mine".into();
                f.unit_increment_count_adjustments = 2;
            }),
            conflicts: &[],
            outcome: MergeOutcome::Pending,
        },
        Case {
            name: "same field on both sides: server wins, local logged",
            base: Some(fields()),
            local: with(|f| f.summary = "mine".into()),
            remote: with(|f| f.summary = "theirs".into()),
            allow_post_release_edit: false,
            expected: with(|f| f.summary = "theirs".into()),
            conflicts: &[SyncField::Summary],
            outcome: MergeOutcome::InSync,
        },
        Case {
            name: "same field, same value on both sides: no conflict",
            base: Some(fields()),
            local: with(|f| f.work_date = Date::parse("2026-11-03").expect("date")),
            remote: with(|f| f.work_date = Date::parse("2026-11-03").expect("date")),
            allow_post_release_edit: false,
            expected: with(|f| f.work_date = Date::parse("2026-11-03").expect("date")),
            conflicts: &[],
            outcome: MergeOutcome::InSync,
        },
        Case {
            name: "released on the server while edited here: quarantined, server copy kept",
            base: Some(fields()),
            local: with(|f| f.summary = "mine".into()),
            remote: with(|f| f.released = true),
            allow_post_release_edit: false,
            expected: with(|f| f.released = true),
            conflicts: &[],
            outcome: MergeOutcome::Locked,
        },
        Case {
            name: "released on the server while edited here, post-release edits allowed: merged",
            base: Some(fields()),
            local: with(|f| f.summary = "mine".into()),
            remote: with(|f| f.released = true),
            allow_post_release_edit: true,
            expected: with(|f| {
                f.summary = "mine".into();
                f.released = true;
            }),
            conflicts: &[],
            outcome: MergeOutcome::Pending,
        },
        Case {
            name: "released on both sides: nothing to quarantine",
            base: Some(fields()),
            local: with(|f| f.released = true),
            remote: with(|f| f.released = true),
            allow_post_release_edit: false,
            expected: with(|f| f.released = true),
            conflicts: &[],
            outcome: MergeOutcome::InSync,
        },
        Case {
            name: "deleted on the server while edited here: deleted, edits logged",
            base: Some(fields()),
            local: with(|f| {
                f.summary = "mine".into();
                f.unit_increment_count_adjustments = 3;
            }),
            remote: with(|f| f.is_deleted = true),
            allow_post_release_edit: false,
            expected: with(|f| f.is_deleted = true),
            conflicts: &[SyncField::Summary, SyncField::UnitIncrementCountAdjustments],
            outcome: MergeOutcome::DeletedRemotely,
        },
        Case {
            name: "deleted here, edited on the server: the server's edit wins over the local delete",
            base: Some(fields()),
            local: with(|f| f.is_deleted = true),
            remote: with(|f| f.summary = "theirs".into()),
            allow_post_release_edit: false,
            expected: with(|f| {
                f.summary = "theirs".into();
                f.is_deleted = true;
            }),
            conflicts: &[],
            outcome: MergeOutcome::Pending,
        },
        Case {
            name: "no base (the server has a copy the device never saw): every difference is the server's",
            base: None,
            local: with(|f| f.summary = "mine".into()),
            remote: with(|f| f.summary = "theirs".into()),
            allow_post_release_edit: false,
            expected: with(|f| f.summary = "theirs".into()),
            conflicts: &[SyncField::Summary],
            outcome: MergeOutcome::InSync,
        },
        Case {
            name: "timer stopped on both sides at different instants: server wins",
            base: Some(with(|f| f.sources = vec![SyncedSource { id: id(9), kind: SourceKind::Timer, started_at: ts(0), ended_at: None, title: None }])),
            local: with(|f| f.sources = vec![SyncedSource { id: id(9), kind: SourceKind::Timer, started_at: ts(0), ended_at: Some(ts(5_000)), title: None }]),
            remote: with(|f| f.sources = vec![SyncedSource { id: id(9), kind: SourceKind::Timer, started_at: ts(0), ended_at: Some(ts(3_000)), title: None }]),
            allow_post_release_edit: false,
            expected: with(|f| {
                f.sources = vec![SyncedSource { id: id(9), kind: SourceKind::Timer, started_at: ts(0), ended_at: Some(ts(3_000)), title: None }]
            }),
            conflicts: &[SyncField::Sources],
            outcome: MergeOutcome::InSync,
        },
    ];
    for case in cases {
        let merge = reconcile(case.base.as_ref(), &case.local, &case.remote, case.allow_post_release_edit);
        assert_eq!(merge.fields, case.expected, "{}: fields", case.name);
        assert_eq!(merge.outcome, case.outcome, "{}: outcome", case.name);
        let fields: Vec<SyncField> = merge.conflicts.iter().map(|c| c.field).collect();
        assert_eq!(fields, case.conflicts, "{}: conflicts", case.name);
        for c in &merge.conflicts {
            assert_eq!(c.local, case.local.value(c.field), "{}: the lost local value is logged", case.name);
            assert_eq!(c.server, case.remote.value(c.field), "{}: beside the server's", case.name);
        }
    }
}

#[test]
fn running_timers_keep_the_later_start() {
    // (existing start, existing id), (incoming start, incoming id), expected
    let table = [
        ((ts(0), id(1)), (ts(60_000), id(2)), TimerResolution::StopExisting { at: ts(60_000) }),
        ((ts(60_000), id(1)), (ts(0), id(2)), TimerResolution::StopIncoming { at: ts(60_000) }),
        ((ts(0), id(1)), (ts(0), id(2)), TimerResolution::StopExisting { at: ts(0) }),
        ((ts(0), id(2)), (ts(0), id(1)), TimerResolution::StopIncoming { at: ts(0) }),
    ];
    for (existing, incoming, expected) in table {
        assert_eq!(resolve_running_timers(existing, incoming), expected, "{existing:?} vs {incoming:?}");
        // Whichever arrives first, the same timer keeps running.
        let swapped = resolve_running_timers(incoming, existing);
        let survivor = |r: TimerResolution, a: (Timestamp, ObjectId), b: (Timestamp, ObjectId)| match r {
            TimerResolution::StopExisting { .. } => b.1,
            TimerResolution::StopIncoming { .. } => a.1,
        };
        assert_eq!(survivor(expected, existing, incoming), survivor(swapped, incoming, existing));
    }
}

#[test]
fn a_copy_from_the_other_side_is_checked() {
    let e = SyncedEntry {
        id: id(1),
        user_id: id(2),
        created_by: None,
        released_by: None,
        external_id: None,
        enrichment_correlation_id: None,
        summary: "ok".into(),
        notes: None,
        work_date: Date::parse("2026-11-02").expect("date"),
        initiative_id: None,
        creation_method: "manual".into(),
        created_as_timer: false,
        timer_duration_adjustment_in_seconds: 0,
        entered_duration_in_seconds: Some(60),
        raw_seconds: 60,
        unit_increments: 360,
        unit_increment_count_from_sources: 1,
        unit_increment_count_adjustments: 0,
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
        created_at: ts(0),
        updated_at: ts(0),
        version: 1,
        codes: Vec::new(),
        sources: Vec::new(),
    };
    assert!(e.check("e").is_ok());
    type Breaks = Box<dyn Fn(&mut SyncedEntry)>;
    let bad: Vec<(&str, Breaks)> = vec![
        ("e.unitIncrements", Box::new(|e| e.unit_increments = 0)),
        ("e.version", Box::new(|e| e.version = 0)),
        ("e.summary", Box::new(|e| e.summary = "x".repeat(10_001))),
        ("e.creationMethod", Box::new(|e| e.creation_method = String::new())),
        ("e.rawSeconds", Box::new(|e| e.raw_seconds = -1)),
        (
            "e.sources[0].endedAt",
            Box::new(|e| e.sources = vec![SyncedSource { id: id(3), kind: SourceKind::Call, started_at: ts(10), ended_at: Some(ts(0)), title: None }]),
        ),
        (
            "e.sources",
            Box::new(|e| {
                e.sources = vec![
                    SyncedSource { id: id(3), kind: SourceKind::Timer, started_at: ts(10), ended_at: None, title: None },
                    SyncedSource { id: id(4), kind: SourceKind::Timer, started_at: ts(20), ended_at: None, title: None },
                ]
            }),
        ),
    ];
    for (field, breaks) in bad {
        let mut x = e.clone();
        breaks(&mut x);
        match x.check("e") {
            Err(TenthsError::InvalidArgument { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected invalid argument, got {other:?}"),
        }
    }
}
