//! The device's merge as a pure plan: given what the device holds of an entry (its local copy,
//! the mirror copy both sides last agreed on, its unsent changes) and what the server says
//! (an answer to a pushed operation, or a copy in a pull page), decide every action: which copy
//! to write with how many unsent changes, which conflicts to log, what to quarantine, and the
//! new mirror. No storage: the device's apply step ([`super::device`]) reads the facts a plan
//! asks for ([`Needs`]) and carries the plan out.

use super::*;
use crate::error::RuleFailure;

/// Which facts a plan needs besides the cheap ones (reading a full local copy or the mirror
/// copy costs statements; the common paths need neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Needs {
    pub local: bool,
    pub base: bool,
}

/// A refused local copy to keep for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuarantineNote {
    pub local: SyncedEntry,
    /// The server's copy it was refused against (the copy the device restores), if any: the
    /// refused change is what `local` changed relative to it.
    pub against: Option<SyncedEntry>,
    pub code: String,
    pub reason: String,
    pub failures: Vec<RuleFailure>,
}

/// An earlier refused change of an entry, still quarantined, and the server's copy it was
/// refused against (`None`: none, or quarantined before schema v4).
pub(crate) struct Refused<'a> {
    pub local: &'a SyncedEntry,
    pub against: Option<&'a SyncedEntry>,
}

/// What [`keep_refusals`] decided: the user fields of the entry's one quarantined copy and the
/// earlier values that lost to a later refusal of the same field (for the conflict log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptRefusals {
    pub fields: UserFields,
    pub conflicts: Vec<FieldConflict>,
}

/// Keeps every refused change of an entry in its one quarantined copy (decision 12 of
/// docs/sync.md): a refusal's change is the user fields its copy changed relative to the
/// server's copy it was refused against. The quarantined copy is the `later` copy, plus every
/// field the `earlier` refusal changed and the later one did not; a field both changed keeps
/// the later value, and the earlier one is logged as a conflict (against the server's value
/// the later refusal met) so it stays visible. An earlier refusal without its server copy
/// (none, or quarantined before schema v4) is measured against the later one's; a later
/// refusal without a server copy (a create refused) changed every field. Pure.
pub(crate) fn keep_refusals(earlier: Refused<'_>, later: Refused<'_>) -> KeptRefusals {
    let (e, l) = (earlier.local.user_fields(), later.local.user_fields());
    let later_against = later.against.map(SyncedEntry::user_fields);
    let earlier_changed = match earlier.against.map(SyncedEntry::user_fields).as_ref().or(later_against.as_ref()) {
        Some(a) => e.diff(a),
        None => e.diff(&l),
    };
    let mut kept = KeptRefusals { fields: l.clone(), conflicts: Vec::new() };
    for f in earlier_changed {
        let later_changed = later_against.as_ref().is_none_or(|a| !l.same(a, f));
        if !later_changed {
            kept.fields.take(&e, f);
        } else if !e.same(&l, f) {
            let server = later_against.as_ref().unwrap_or(&l);
            kept.conflicts.push(FieldConflict { field: f, local: e.value(f), server: server.value(f) });
        }
    }
    kept
}

/// What to write over the device's copy of the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// Nothing.
    Nothing,
    /// This copy, as it is, with `counter` unsent changes.
    Copy { copy: SyncedEntry, counter: i64 },
    /// This merged copy with `counter` (≥ 1) unsent changes, re-settled by this device's rules
    /// so it shows its units and status until the server answers.
    Pending { copy: SyncedEntry, counter: i64 },
    /// Only the unsent-change counter.
    Counter(i64),
    /// A copy new to this device, stored as an import stores entries (not a local change).
    Insert(SyncedEntry),
}

/// Counts for the summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Tally {
    pub applied: u64,
    pub conflicts: u64,
    pub quarantined: u64,
    pub pulled: u64,
    pub skipped: u64,
}

/// Every action for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub conflicts: Vec<FieldConflict>,
    pub quarantine: Option<QuarantineNote>,
    pub write: Write,
    pub mirror: Option<SyncedEntry>,
    pub tally: Tally,
}

impl Plan {
    fn new(write: Write) -> Plan {
        Plan { conflicts: Vec::new(), quarantine: None, write, mirror: None, tally: Tally::default() }
    }
}

const LOCKED_REASON: &str = "the server released or locked the entry while it was edited here";

/// The plan of a merge over the server's `remote` copy: conflicts logged; a locked edit
/// quarantined and the server's copy kept; otherwise the merged copy with `pending` unsent
/// changes, or the server's copy when nothing is left to send.
fn merge_plan(remote: &SyncedEntry, local: &SyncedEntry, merge: Merge, pending: i64) -> Plan {
    let mut plan = Plan::new(Write::Nothing);
    if merge.outcome == MergeOutcome::Locked {
        plan.tally.quarantined = 1;
    }
    plan.write = match merge.outcome {
        MergeOutcome::InSync | MergeOutcome::DeletedRemotely => Write::Copy { copy: remote.clone(), counter: 0 },
        MergeOutcome::Locked => {
            plan.quarantine = Some(QuarantineNote {
                local: local.clone(),
                against: Some(remote.clone()),
                code: "locked".into(),
                reason: LOCKED_REASON.into(),
                failures: Vec::new(),
            });
            Write::Copy { copy: remote.clone(), counter: 0 }
        }
        MergeOutcome::Pending => Write::Pending { copy: remote.with_user_fields(&merge.fields), counter: pending.max(1) },
    };
    plan.conflicts = merge.conflicts;
    plan
}

/// The facts of one answer of the server to a pushed operation.
pub(crate) struct Answer<'a> {
    /// The operation as it was sent.
    pub op: &'a PushOp,
    pub result: &'a OpResult,
    /// Unsent changes made since the batch was prepared.
    pub remaining: i64,
    /// The version of the mirror copy, if any.
    pub mirrored_version: Option<i64>,
    pub allow_post_release_edit: bool,
}

impl Answer<'_> {
    /// An answer older than what a pull already brought: the newer copy stands.
    fn stale(&self) -> bool {
        matches!((self.mirrored_version, &self.result.record), (Some(mv), Some(r)) if mv >= r.version)
    }

    /// The facts [`Answer::plan`] reads.
    pub(crate) fn needs(&self) -> Needs {
        match (self.stale(), self.result.outcome) {
            (true, OpOutcome::Rejected) => Needs { local: true, base: true },
            (true, _) => Needs::default(),
            (false, OpOutcome::Applied) => Needs { local: self.remaining > 0, base: false },
            (false, OpOutcome::Conflict) => Needs { local: true, base: true },
            (false, OpOutcome::Rejected) => Needs { local: true, base: false },
        }
    }

    fn refusal(&self, local: &SyncedEntry, against: Option<&SyncedEntry>) -> QuarantineNote {
        QuarantineNote {
            local: local.clone(),
            against: against.cloned(),
            code: self.result.code.clone().unwrap_or_else(|| "rejected".into()),
            reason: self.result.reason.clone().unwrap_or_default(),
            failures: self.result.failures.clone(),
        }
    }

    /// The plan of the answer: applied → the canonical copy (keeping any edit made since the
    /// batch was prepared), conflict → merged against the mirror, rejected → quarantined. A
    /// fact [`Answer::needs`] asked for and not given counts as absent.
    pub(crate) fn plan(&self, local: Option<&SyncedEntry>, base: Option<&SyncedEntry>) -> Plan {
        let result = self.result;
        if self.stale() {
            // The entry stays pending so the next prepare diffs it against the mirror (sending
            // what is left, or settling with nothing to send).
            let mut plan = Plan::new(Write::Counter(self.remaining.max(1)));
            match result.outcome {
                OpOutcome::Applied => plan.tally.applied = 1,
                OpOutcome::Conflict => plan.tally.conflicts = 1,
                OpOutcome::Rejected => {
                    plan.tally.quarantined = 1;
                    plan.quarantine = local.map(|l| self.refusal(l, base.or(result.record.as_ref())));
                    plan.write = match base {
                        Some(m) => Write::Copy { copy: m.clone(), counter: 0 },
                        None => Write::Nothing,
                    };
                }
            }
            return plan;
        }
        match (result.outcome, &result.record) {
            (OpOutcome::Applied, Some(record)) => {
                let mut plan = match local.filter(|_| self.remaining > 0) {
                    None => Plan::new(Write::Copy { copy: record.clone(), counter: 0 }),
                    Some(local) => {
                        // Edited while the batch was out: the server has the batch's copy, so
                        // only the edits since then stay pending.
                        let sent = self.op.entry.user_fields();
                        let merge = reconcile(Some(&sent), &local.user_fields(), &record.user_fields(), self.allow_post_release_edit);
                        let mut plan = merge_plan(record, local, merge, self.remaining);
                        plan.tally.quarantined = 0;
                        plan
                    }
                };
                plan.tally.applied = 1;
                plan.mirror = Some(record.clone());
                plan
            }
            (OpOutcome::Conflict, Some(record)) => {
                let Some(local) = local else { return Plan::new(Write::Nothing) };
                let merge = reconcile(base.map(SyncedEntry::user_fields).as_ref(), &local.user_fields(), &record.user_fields(), self.allow_post_release_edit);
                let mut plan = merge_plan(record, local, merge, self.remaining.max(1));
                plan.tally.conflicts = 1;
                plan.mirror = Some(record.clone());
                plan
            }
            (OpOutcome::Rejected, record) => {
                let mut plan = Plan::new(match record {
                    Some(r) => Write::Copy { copy: r.clone(), counter: 0 },
                    None => Write::Counter(0),
                });
                plan.quarantine = local.map(|l| self.refusal(l, record.as_ref()));
                plan.mirror = record.clone();
                plan.tally.quarantined = 1;
                plan
            }
            // The answer was checked against the batch: these do not reach a plan.
            (_, None) => Plan::new(Write::Nothing),
        }
    }
}

/// Whether an acknowledged `copy` of a pushed operation keeps the sessions and codes the
/// operation sent (so a device whose row is still the one sent rewrites only the entry row),
/// with no running session (a running one goes through the running-timer rule).
pub(crate) fn keeps_sent_rows(op: &PushOp, copy: &SyncedEntry) -> bool {
    copy.sources == op.entry.sources && copy.codes == op.entry.codes && copy.sources.iter().all(|s| s.ended_at.is_some())
}

/// The facts of one copy in a pull page.
pub(crate) struct Pulled<'a> {
    pub remote: &'a SyncedEntry,
    pub mirrored_version: Option<i64>,
    /// Whether this device has the entry.
    pub found: bool,
    /// Its unsent changes.
    pub pending: i64,
    pub allow_post_release_edit: bool,
}

impl Pulled<'_> {
    /// The facts [`Pulled::plan`] reads.
    pub(crate) fn needs(&self) -> Needs {
        let newer = self.mirrored_version.is_none_or(|v| v < self.remote.version);
        Needs { local: newer && self.pending > 0, base: newer && self.pending > 0 }
    }

    /// The plan of a pulled copy: already as new here → skipped; new to this device → inserted
    /// (a running timer goes through the running-timer rule instead); with unsent changes →
    /// merged (a download never overwrites a field changed here; a field changed on both
    /// sides takes the server's value and is logged); otherwise the server's copy.
    pub(crate) fn plan(&self, local: Option<&SyncedEntry>, base: Option<&SyncedEntry>) -> Plan {
        if self.mirrored_version.is_some_and(|v| v >= self.remote.version) {
            let mut plan = Plan::new(Write::Nothing);
            plan.tally.skipped = 1;
            return plan;
        }
        let runs = self.remote.sources.iter().any(|s| s.ended_at.is_none());
        let mut plan = match (self.found, self.pending, local) {
            (false, _, _) if !runs => Plan::new(Write::Insert(self.remote.clone())),
            (_, p, Some(local)) if p > 0 => {
                let merge =
                    reconcile(base.map(SyncedEntry::user_fields).as_ref(), &local.user_fields(), &self.remote.user_fields(), self.allow_post_release_edit);
                let mut plan = merge_plan(self.remote, local, merge, p);
                plan.tally.conflicts = u64::try_from(plan.conflicts.len()).unwrap_or(u64::MAX);
                plan
            }
            _ => Plan::new(Write::Copy { copy: self.remote.clone(), counter: 0 }),
        };
        plan.tally.pulled = 1;
        plan.mirror = Some(self.remote.clone());
        plan
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
