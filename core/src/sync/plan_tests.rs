//! Table tests of the device's merge plan, without a database: what each server answer and
//! each pulled copy makes the device write, log, quarantine and mirror, and which facts the
//! plan asks for.

use super::*;
use crate::rules::status::Status;
use crate::rules::time::{Date, Timestamp};

fn id(n: u8) -> ObjectId {
    ObjectId::parse(&format!("{:024x}", u128::from(n) + 0x6600_0000_0000_0000_0000_0000)).expect("test id")
}

fn copy(summary: &str, version: i64) -> SyncedEntry {
    let t = Timestamp::from_millis(1_780_000_000_000).expect("time");
    SyncedEntry {
        id: id(1),
        user_id: id(2),
        created_by: None,
        released_by: None,
        external_id: None,
        enrichment_correlation_id: None,
        summary: summary.into(),
        notes: None,
        work_date: Date::parse("2026-11-02").expect("date"),
        initiative_id: None,
        creation_method: "manual".into(),
        created_as_timer: false,
        timer_duration_adjustment_in_seconds: 0,
        entered_duration_in_seconds: Some(600),
        raw_seconds: 600,
        unit_increments: 360,
        unit_increment_count_from_sources: 2,
        unit_increment_count_adjustments: 0,
        status: Status::ValidationSucceeded,
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
        created_at: t,
        updated_at: t,
        version,
        codes: Vec::new(),
        sources: Vec::new(),
    }
}

fn locked(mut c: SyncedEntry) -> SyncedEntry {
    c.is_locked = true;
    c.status = Status::ReleasePending;
    c
}

fn op(entry: SyncedEntry, base_version: Option<i64>) -> PushOp {
    PushOp { op_id: id(9), base_version, changed: vec![SyncField::Summary], entry }
}

fn result(outcome: OpOutcome, record: Option<SyncedEntry>) -> OpResult {
    let code = (outcome == OpOutcome::Rejected).then(|| "validation_failed".to_string());
    OpResult { op_id: id(9), entry_id: id(1), outcome, code, reason: Some("no".into()), failures: Vec::new(), record }
}

struct AnswerCase {
    name: &'static str,
    sent: SyncedEntry,
    result: OpResult,
    remaining: i64,
    mirrored_version: Option<i64>,
    local: SyncedEntry,
    base: Option<SyncedEntry>,
    needs: Needs,
    write: Write,
    mirror: Option<i64>,
    conflicts: usize,
    quarantine: Option<&'static str>,
    tally: Tally,
}

#[test]
fn answers_to_a_push() {
    let sent = copy("sent", 1);
    let cases = vec![
        AnswerCase {
            name: "applied, nothing edited since: the canonical copy, nothing pending",
            sent: sent.clone(),
            result: result(OpOutcome::Applied, Some(copy("sent", 2))),
            remaining: 0,
            mirrored_version: Some(1),
            local: sent.clone(),
            base: None,
            needs: Needs { local: false, base: false },
            write: Write::Copy { copy: copy("sent", 2), counter: 0 },
            mirror: Some(2),
            conflicts: 0,
            quarantine: None,
            tally: Tally { applied: 1, ..Tally::default() },
        },
        AnswerCase {
            name: "applied, edited while in flight: the later edit stays pending over the canonical copy",
            sent: sent.clone(),
            result: result(OpOutcome::Applied, Some(copy("sent", 2))),
            remaining: 2,
            mirrored_version: Some(1),
            local: copy("edited after", 1),
            base: None,
            needs: Needs { local: true, base: false },
            write: Write::Pending { copy: copy("edited after", 2), counter: 2 },
            mirror: Some(2),
            conflicts: 0,
            quarantine: None,
            tally: Tally { applied: 1, ..Tally::default() },
        },
        AnswerCase {
            name: "conflict, both changed the summary: the server's wins, the local value is logged",
            sent: sent.clone(),
            result: result(OpOutcome::Conflict, Some(copy("server", 3))),
            remaining: 0,
            mirrored_version: Some(1),
            local: sent.clone(),
            base: Some(copy("base", 1)),
            needs: Needs { local: true, base: true },
            write: Write::Copy { copy: copy("server", 3), counter: 0 },
            mirror: Some(3),
            conflicts: 1,
            quarantine: None,
            tally: Tally { conflicts: 1, ..Tally::default() },
        },
        AnswerCase {
            name: "conflict, the server locked it while it was edited here: quarantined as locked",
            sent: sent.clone(),
            result: result(OpOutcome::Conflict, Some(locked(copy("base", 3)))),
            remaining: 0,
            mirrored_version: Some(1),
            local: sent.clone(),
            base: Some(copy("base", 1)),
            needs: Needs { local: true, base: true },
            write: Write::Copy { copy: locked(copy("base", 3)), counter: 0 },
            mirror: Some(3),
            conflicts: 0,
            quarantine: Some("locked"),
            tally: Tally { conflicts: 1, quarantined: 1, ..Tally::default() },
        },
        AnswerCase {
            name: "rejected with the server's copy: quarantined, the server's copy restored",
            sent: sent.clone(),
            result: result(OpOutcome::Rejected, Some(copy("server", 2))),
            remaining: 0,
            mirrored_version: Some(1),
            local: sent.clone(),
            base: None,
            needs: Needs { local: true, base: false },
            write: Write::Copy { copy: copy("server", 2), counter: 0 },
            mirror: Some(2),
            conflicts: 0,
            quarantine: Some("validation_failed"),
            tally: Tally { quarantined: 1, ..Tally::default() },
        },
        AnswerCase {
            name: "rejected, the server has no copy: quarantined, nothing pending",
            sent: sent.clone(),
            result: result(OpOutcome::Rejected, None),
            remaining: 0,
            mirrored_version: None,
            local: sent.clone(),
            base: None,
            needs: Needs { local: true, base: false },
            write: Write::Counter(0),
            mirror: None,
            conflicts: 0,
            quarantine: Some("validation_failed"),
            tally: Tally { quarantined: 1, ..Tally::default() },
        },
        AnswerCase {
            name: "a replayed answer older than a pulled copy: the newer copy stands, the entry stays pending",
            sent: sent.clone(),
            result: result(OpOutcome::Applied, Some(copy("sent", 2))),
            remaining: 0,
            mirrored_version: Some(4),
            local: sent.clone(),
            base: None,
            needs: Needs { local: false, base: false },
            write: Write::Counter(1),
            mirror: None,
            conflicts: 0,
            quarantine: None,
            tally: Tally { applied: 1, ..Tally::default() },
        },
        AnswerCase {
            name: "a stale rejection: quarantined, the mirror copy restored",
            sent: sent.clone(),
            result: result(OpOutcome::Rejected, Some(copy("sent", 2))),
            remaining: 0,
            mirrored_version: Some(4),
            local: sent.clone(),
            base: Some(copy("mirror", 4)),
            needs: Needs { local: true, base: true },
            write: Write::Copy { copy: copy("mirror", 4), counter: 0 },
            mirror: None,
            conflicts: 0,
            quarantine: Some("validation_failed"),
            tally: Tally { quarantined: 1, ..Tally::default() },
        },
    ];
    for case in cases {
        let op = op(case.sent.clone(), Some(1));
        let answer =
            Answer { op: &op, result: &case.result, remaining: case.remaining, mirrored_version: case.mirrored_version, allow_post_release_edit: false };
        assert_eq!(answer.needs(), case.needs, "{}: needs", case.name);
        let local = case.needs.local.then_some(&case.local);
        let base = if case.needs.base { case.base.as_ref() } else { None };
        let plan = answer.plan(local, base);
        assert_eq!(plan.write, case.write, "{}: write", case.name);
        assert_eq!(plan.mirror.as_ref().map(|m| m.version), case.mirror, "{}: mirror", case.name);
        assert_eq!(plan.conflicts.len(), case.conflicts, "{}: conflicts", case.name);
        assert_eq!(plan.quarantine.as_ref().map(|q| q.code.as_str()), case.quarantine, "{}: quarantine", case.name);
        assert_eq!(plan.tally, case.tally, "{}: tally", case.name);
    }
}

#[test]
fn pulled_copies() {
    let remote = copy("server", 3);
    let mut running = copy("running", 3);
    running.sources.push(SyncedSource { id: id(5), kind: crate::model::SourceKind::Timer, started_at: running.created_at, ended_at: None, title: None });
    // (name, remote, mirrored version, found, pending, local, base, write, conflicts, tally)
    type Case = (&'static str, SyncedEntry, Option<i64>, bool, i64, Option<SyncedEntry>, Option<SyncedEntry>, Write, usize, Tally);
    let cases: Vec<Case> = vec![
        ("already as new here: skipped", remote.clone(), Some(3), true, 0, None, None, Write::Nothing, 0, Tally { skipped: 1, ..Tally::default() }),
        (
            "new to this device: inserted as an import",
            remote.clone(),
            None,
            false,
            0,
            None,
            None,
            Write::Insert(remote.clone()),
            0,
            Tally { pulled: 1, ..Tally::default() },
        ),
        (
            "new and running: written through the running-timer rule, not inserted",
            running.clone(),
            None,
            false,
            0,
            None,
            None,
            Write::Copy { copy: running.clone(), counter: 0 },
            0,
            Tally { pulled: 1, ..Tally::default() },
        ),
        (
            "known, nothing pending: the server's copy",
            remote.clone(),
            Some(2),
            true,
            0,
            None,
            None,
            Write::Copy { copy: remote.clone(), counter: 0 },
            0,
            Tally { pulled: 1, ..Tally::default() },
        ),
        (
            "pending here, the server changed another field: merged, still pending",
            {
                let mut r = copy("base", 3);
                r.notes = Some("from the server".into());
                r
            },
            Some(2),
            true,
            2,
            Some(copy("local", 2)),
            Some(copy("base", 2)),
            Write::Pending {
                copy: {
                    let mut m = copy("local", 3);
                    m.notes = Some("from the server".into());
                    m
                },
                counter: 2,
            },
            0,
            Tally { pulled: 1, ..Tally::default() },
        ),
        (
            "pending here, both changed the summary: the server's wins and is logged",
            remote.clone(),
            Some(2),
            true,
            1,
            Some(copy("local", 2)),
            Some(copy("base", 2)),
            Write::Copy { copy: remote.clone(), counter: 0 },
            1,
            Tally { pulled: 1, conflicts: 1, ..Tally::default() },
        ),
    ];
    for (name, remote, mirrored_version, found, pending, local, base, write, conflicts, tally) in cases {
        let pulled = Pulled { remote: &remote, mirrored_version, found, pending, allow_post_release_edit: false };
        let needs = pulled.needs();
        assert_eq!(needs.local, local.is_some(), "{name}: needs the local copy");
        let plan = pulled.plan(local.as_ref(), base.as_ref());
        assert_eq!(plan.write, write, "{name}: write");
        assert_eq!(plan.conflicts.len(), conflicts, "{name}: conflicts");
        assert_eq!(plan.tally, tally, "{name}: tally");
        let mirrored = plan.tally.skipped == 0;
        assert_eq!(plan.mirror.is_some(), mirrored, "{name}: mirror");
    }
}

/// A copy with these user fields changed from `copy("server", 1)`.
fn edited(summary: &str, units: i64, notes: Option<&str>) -> SyncedEntry {
    let mut c = copy(summary, 1);
    c.unit_increment_count_adjustments = units;
    c.notes = notes.map(String::from);
    c
}

#[test]
fn a_later_refusal_keeps_the_earlier_ones() {
    struct Case {
        name: &'static str,
        earlier: SyncedEntry,
        earlier_against: Option<SyncedEntry>,
        later: SyncedEntry,
        later_against: Option<SyncedEntry>,
        kept: (&'static str, i64, Option<&'static str>),
        logged: Vec<(SyncField, serde_json::Value, serde_json::Value)>,
    }
    let server = copy("server", 1);
    let web = copy("web", 2);
    let cases = vec![
        Case {
            name: "different fields: both kept, nothing logged",
            earlier: edited("edit 1", 0, None),
            earlier_against: Some(server.clone()),
            later: edited("server", 1, None),
            later_against: Some(server.clone()),
            kept: ("edit 1", 1, None),
            logged: vec![],
        },
        Case {
            name: "the same field: the later value kept, the earlier one logged against the server's",
            earlier: edited("edit 1", 0, Some("n")),
            earlier_against: Some(server.clone()),
            later: edited("edit 2", 0, None),
            later_against: Some(server.clone()),
            kept: ("edit 2", 0, Some("n")),
            logged: vec![(SyncField::Summary, serde_json::json!("edit 1"), serde_json::json!("server"))],
        },
        Case {
            name: "the same field to the same value: kept once, nothing logged",
            earlier: edited("edit", 0, None),
            earlier_against: Some(server.clone()),
            later: edited("edit", 3, None),
            later_against: Some(server.clone()),
            kept: ("edit", 3, None),
            logged: vec![],
        },
        Case {
            name: "a field the web changed since the earlier refusal is not taken back by it",
            earlier: edited("server", 2, None),
            earlier_against: Some(server.clone()),
            later: edited("web", 0, Some("later")),
            later_against: Some(web.clone()),
            kept: ("web", 2, Some("later")),
            logged: vec![],
        },
        Case {
            name: "an earlier refusal quarantined before v4 is measured against the later server copy",
            earlier: edited("edit 1", 0, None),
            earlier_against: None,
            later: edited("server", 1, None),
            later_against: Some(server.clone()),
            kept: ("edit 1", 1, None),
            logged: vec![],
        },
        Case {
            name: "a later refusal without a server copy changed every field: the earlier values differing are logged",
            earlier: edited("edit 1", 0, None),
            earlier_against: Some(server.clone()),
            later: edited("create", 4, None),
            later_against: None,
            kept: ("create", 4, None),
            logged: vec![(SyncField::Summary, serde_json::json!("edit 1"), serde_json::json!("create"))],
        },
        Case {
            name: "a third refusal keeps what the merged copy holds",
            earlier: edited("edit 1", 1, None),
            earlier_against: Some(server.clone()),
            later: edited("server", 0, Some("third")),
            later_against: Some(server.clone()),
            kept: ("edit 1", 1, Some("third")),
            logged: vec![],
        },
    ];
    for case in cases {
        let kept = keep_refusals(
            Refused { local: &case.earlier, against: case.earlier_against.as_ref() },
            Refused { local: &case.later, against: case.later_against.as_ref() },
        );
        let f = &kept.fields;
        assert_eq!((f.summary.as_str(), f.unit_increment_count_adjustments, f.notes.as_deref()), case.kept, "{}: kept", case.name);
        let logged: Vec<_> = kept.conflicts.into_iter().map(|c| (c.field, c.local, c.server)).collect();
        assert_eq!(logged, case.logged, "{}: logged", case.name);
    }
}

#[test]
fn refusals_name_the_server_copy_they_were_refused_against() {
    let local = copy("edited here", 1);
    // Locked by a pulled copy: against the pulled copy.
    let remote = locked(copy("server", 2));
    let pulled = Pulled { remote: &remote, mirrored_version: Some(1), found: true, pending: 1, allow_post_release_edit: false };
    let plan = pulled.plan(Some(&local), Some(&copy("server", 1)));
    assert_eq!(plan.quarantine.and_then(|q| q.against), Some(remote.clone()));
    // Rejected with the server's copy: against it; without one: none.
    let sent = op(local.clone(), Some(1));
    for record in [Some(remote.clone()), None] {
        let r = result(OpOutcome::Rejected, record.clone());
        let answer = Answer { op: &sent, result: &r, remaining: 0, mirrored_version: Some(1), allow_post_release_edit: false };
        assert_eq!(answer.plan(Some(&local), None).quarantine.and_then(|q| q.against), record);
    }
    // A stale rejection restores the mirror: against the mirror.
    let r = result(OpOutcome::Rejected, Some(copy("older", 2)));
    let answer = Answer { op: &sent, result: &r, remaining: 0, mirrored_version: Some(3), allow_post_release_edit: false };
    let mirror = copy("mirror", 3);
    assert_eq!(answer.plan(Some(&local), Some(&mirror)).quarantine.and_then(|q| q.against), Some(mirror));
}

/// An acknowledged copy may be written as the entry row alone only when it keeps the sessions
/// and codes sent and runs no timer: a session the server closed, a code it dropped or a running
/// session sends the copy through the whole write.
#[test]
fn only_a_copy_keeping_the_sent_sessions_and_codes_is_written_as_the_row_alone() {
    let session = |ended: Option<Timestamp>| SyncedSource {
        id: id(5),
        kind: crate::model::SourceKind::Manual,
        started_at: copy("s", 1).created_at,
        ended_at: ended,
        title: None,
    };
    let mut sent = copy("sent", 1);
    sent.sources.push(session(Some(Timestamp::from_millis(1_780_000_600_000).expect("time"))));
    sent.codes.push(SyncedCode { id: id(7), assigned_by: crate::model::AssignedBy::User });
    let pushed = op(sent.clone(), None);
    let mut acknowledged = sent.clone();
    acknowledged.version = 2;
    acknowledged.status = Status::ValidationFailed;
    assert!(keeps_sent_rows(&pushed, &acknowledged));
    let mut closed = acknowledged.clone();
    closed.sources[0].ended_at = Some(Timestamp::from_millis(1_780_000_300_000).expect("time"));
    assert!(!keeps_sent_rows(&pushed, &closed));
    let mut dropped = acknowledged.clone();
    dropped.codes.clear();
    assert!(!keeps_sent_rows(&pushed, &dropped));
    let mut running = sent.clone();
    running.sources[0].ended_at = None;
    assert!(!keeps_sent_rows(&op(running.clone(), None), &running));
}
