//! The entry status machine (domain.md §4.2) as one pure function: given where an entry is and
//! what is asked of it, say where it goes or why it may not. The store applies the answer.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TenthsError};

/// The status of an entry (`statusInfo.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Waiting for data it needs (unknown initiative, running timer).
    ValidationPending,
    /// At least one rule fails.
    ValidationFailed,
    /// Ready to release.
    ValidationSucceeded,
    /// Released by the user, waiting for the PMS.
    ReleasePending,
    /// Accepted by the PMS.
    ReleaseSucceeded,
    /// Rejected by the PMS.
    ReleaseFailed,
}

impl Status {
    /// Every status, in table order.
    pub const ALL: [Status; 6] = [
        Status::ValidationPending,
        Status::ValidationFailed,
        Status::ValidationSucceeded,
        Status::ReleasePending,
        Status::ReleaseSucceeded,
        Status::ReleaseFailed,
    ];

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::ValidationPending => "validation-pending",
            Status::ValidationFailed => "validation-failed",
            Status::ValidationSucceeded => "validation-succeeded",
            Status::ReleasePending => "release-pending",
            Status::ReleaseSucceeded => "release-succeeded",
            Status::ReleaseFailed => "release-failed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Result<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| TenthsError::invalid("status", format!("unknown status {s:?}")))
    }

    /// Whether the user may edit an entry in this status.
    pub fn is_editable(self) -> bool {
        !matches!(self, Status::ReleasePending | Status::ReleaseSucceeded)
    }

    /// Whether an entry in this status is locked.
    pub fn is_locked(self) -> bool {
        !self.is_editable()
    }
}

/// What is asked of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Any change of content: edit, override, timer stop/resume, source change.
    Edit,
    /// Release by the user or a delegate; `rules_pass` is the result of validating it now.
    Release { rules_pass: bool },
    /// The connector reports success; `external_id` is the PMS id it sent, if any.
    ReleaseSucceeded { external_id: Option<String> },
    /// The connector reports failure.
    ReleaseFailed,
    /// Take a release back.
    Unrelease,
    /// Soft delete.
    Delete,
}

impl Operation {
    /// Short name for messages and tables.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Edit => "edit",
            Operation::Release { .. } => "release",
            Operation::ReleaseSucceeded { .. } => "release-succeeded",
            Operation::ReleaseFailed => "release-failed",
            Operation::Unrelease => "unrelease",
            Operation::Delete => "delete",
        }
    }
}

/// Where an entry is now, as far as the machine cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryState {
    /// Current status.
    pub status: Status,
    /// `isLocked`.
    pub locked: bool,
    /// `isDeleted`.
    pub deleted: bool,
    /// The PMS id it has, if any.
    pub external_id: Option<String>,
}

/// Customer settings the machine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MachineSettings {
    /// An edit of a released entry first unreleases it.
    pub allow_post_release_edit: bool,
}

/// What the store must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Apply the change (if any), unlock, and re-run validation to pick the status.
    Revalidate,
    /// Unrelease first (unlock), then apply the edit and re-validate.
    UnreleaseThenRevalidate,
    /// Move to `release-pending`: lock, `releaseCount += 1`, stamp `lastReleasePendingAt`.
    MarkReleasePending,
    /// Move to `release-succeeded`: keep the lock, stamp `releaseSuccessAt` and `lastSyncedAt`.
    MarkReleaseSucceeded,
    /// Move to `release-failed`: unlock, stamp `lastReleaseFailedAt`, keep the errors.
    MarkReleaseFailed,
    /// Soft delete.
    MarkDeleted,
    /// A repeated identical callback: change nothing, answer success.
    NoChange,
}

/// Why an operation is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The entry is deleted: treated as missing (404).
    NotFound,
    /// The entry is locked and the operation would change it (423).
    Locked,
    /// The operation is not allowed from this status (409).
    Conflict,
    /// A release of an entry whose rules fail (422).
    RulesFail,
}

/// The status machine: the one place that decides every status × operation pair.
pub fn transition(state: &EntryState, op: &Operation, settings: MachineSettings) -> std::result::Result<Transition, Refusal> {
    use Status::*;
    if state.deleted {
        return Err(Refusal::NotFound);
    }
    match op {
        Operation::Edit => {
            if !state.locked && state.status.is_editable() {
                Ok(Transition::Revalidate)
            } else if settings.allow_post_release_edit {
                Ok(Transition::UnreleaseThenRevalidate)
            } else {
                Err(Refusal::Locked)
            }
        }
        Operation::Delete => {
            if state.locked || !state.status.is_editable() {
                Err(Refusal::Locked)
            } else {
                Ok(Transition::MarkDeleted)
            }
        }
        Operation::Release { rules_pass } => match state.status {
            ValidationSucceeded | ReleaseFailed | ValidationFailed | ValidationPending => {
                if *rules_pass {
                    Ok(Transition::MarkReleasePending)
                } else {
                    Err(Refusal::RulesFail)
                }
            }
            ReleasePending | ReleaseSucceeded => Err(Refusal::Conflict),
        },
        Operation::ReleaseSucceeded { external_id } => match state.status {
            // A PMS id is immutable once set: a re-release must report the same record.
            ReleasePending | ReleaseFailed => match (state.external_id.as_deref(), external_id.as_deref()) {
                (Some(have), Some(given)) if have != given => Err(Refusal::Conflict),
                _ => Ok(Transition::MarkReleaseSucceeded),
            },
            ReleaseSucceeded => match (state.external_id.as_deref(), external_id.as_deref()) {
                (_, None) => Ok(Transition::NoChange),
                (Some(have), Some(given)) if have == given => Ok(Transition::NoChange),
                (None, Some(_)) => Ok(Transition::MarkReleaseSucceeded),
                (Some(_), Some(_)) => Err(Refusal::Conflict),
            },
            ValidationPending | ValidationFailed | ValidationSucceeded => Err(Refusal::Conflict),
        },
        Operation::ReleaseFailed => match state.status {
            ReleasePending => Ok(Transition::MarkReleaseFailed),
            _ => Err(Refusal::Conflict),
        },
        Operation::Unrelease => match state.status {
            ReleasePending | ReleaseSucceeded | ReleaseFailed => Ok(Transition::Revalidate),
            ValidationPending | ValidationFailed | ValidationSucceeded => Err(Refusal::Conflict),
        },
    }
}

/// Turns a refusal into the engine's error, with a message naming the status and operation.
pub fn refusal_error(refusal: Refusal, state: &EntryState, op: &Operation, entry_id: &str) -> TenthsError {
    match refusal {
        Refusal::NotFound => TenthsError::not_found("entry", entry_id),
        Refusal::Locked => TenthsError::locked(format!("entry {entry_id} is {} and locked; {} is not allowed", state.status.as_str(), op.name())),
        Refusal::Conflict => TenthsError::conflict(format!("{} is not allowed from status {}", op.name(), state.status.as_str())),
        Refusal::RulesFail => TenthsError::ValidationFailed { failures: Vec::new() },
    }
}

/// The fields an accepted operation sets on an entry, besides the content an edit brings and
/// the figures settling recomputes: the whole effect of a transition, decided here so that no
/// caller spells out what a release or an unrelease changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effect {
    /// The new status (`None`: unchanged, or picked by re-validation).
    pub status: Option<Status>,
    /// The new lock (`None`: unchanged).
    pub locked: Option<bool>,
    /// Soft delete (the entry's sources go back to the unassigned pool).
    pub deleted: bool,
    /// A release: `releaseCount += 1`, `lastReleasePendingAt = now`, `releasedBy = actor`.
    pub count_release: bool,
    /// The PMS accepted it: `releaseSuccessAt = lastSyncedAt = now`.
    pub stamp_success: bool,
    /// The PMS refused it: `lastReleaseFailedAt = now`.
    pub stamp_failure: bool,
    /// The PMS id to keep (a release-succeeded that carries one).
    pub external_id: Option<String>,
    /// Clear `validationFailedErrors`.
    pub clear_validation_errors: bool,
    /// Clear `releaseFailedErrors`.
    pub clear_release_errors: bool,
    /// Re-run validation: settling picks the status of the (now editable) entry.
    pub revalidate: bool,
    /// The entry changes: `updatedAt` and `version` move.
    pub touch: bool,
}

/// The effect of `op` accepted as `transition` (see [`transition`]).
pub fn effect(op: &Operation, transition: &Transition) -> Effect {
    let touch = true;
    match transition {
        Transition::NoChange => Effect::default(),
        Transition::Revalidate if *op == Operation::Unrelease => {
            Effect { status: Some(Status::ValidationPending), locked: Some(false), revalidate: true, touch, ..Effect::default() }
        }
        Transition::Revalidate => Effect { revalidate: true, touch, ..Effect::default() },
        Transition::UnreleaseThenRevalidate => {
            Effect { status: Some(Status::ValidationPending), locked: Some(false), revalidate: true, touch, ..Effect::default() }
        }
        Transition::MarkReleasePending => Effect {
            status: Some(Status::ReleasePending),
            locked: Some(true),
            count_release: true,
            clear_validation_errors: true,
            clear_release_errors: true,
            touch,
            ..Effect::default()
        },
        Transition::MarkReleaseSucceeded => Effect {
            status: Some(Status::ReleaseSucceeded),
            locked: Some(true),
            stamp_success: true,
            external_id: match op {
                Operation::ReleaseSucceeded { external_id } => external_id.clone(),
                _ => None,
            },
            clear_release_errors: true,
            touch,
            ..Effect::default()
        },
        Transition::MarkReleaseFailed => {
            Effect { status: Some(Status::ReleaseFailed), locked: Some(false), stamp_failure: true, clear_validation_errors: true, touch, ..Effect::default() }
        }
        Transition::MarkDeleted => Effect { deleted: true, touch, ..Effect::default() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn st(status: Status) -> EntryState {
        EntryState { status, locked: status.is_locked(), deleted: false, external_id: None }
    }

    type Expect = std::result::Result<Transition, Refusal>;

    /// The whole table: every status × operation, without and with allowPostReleaseEdit.
    #[test]
    fn every_status_and_operation() {
        use Refusal as R;
        use Transition as T;
        let ops: Vec<Operation> = vec![
            Operation::Edit,
            Operation::Release { rules_pass: true },
            Operation::Release { rules_pass: false },
            Operation::ReleaseSucceeded { external_id: Some("PMS-1".into()) },
            Operation::ReleaseFailed,
            Operation::Unrelease,
            Operation::Delete,
        ];
        // Columns follow `ops`.
        let table: [(Status, [Expect; 7]); 6] = [
            (
                ValidationPending,
                [Ok(T::Revalidate), Ok(T::MarkReleasePending), Err(R::RulesFail), Err(R::Conflict), Err(R::Conflict), Err(R::Conflict), Ok(T::MarkDeleted)],
            ),
            (
                ValidationFailed,
                [Ok(T::Revalidate), Ok(T::MarkReleasePending), Err(R::RulesFail), Err(R::Conflict), Err(R::Conflict), Err(R::Conflict), Ok(T::MarkDeleted)],
            ),
            (
                ValidationSucceeded,
                [Ok(T::Revalidate), Ok(T::MarkReleasePending), Err(R::RulesFail), Err(R::Conflict), Err(R::Conflict), Err(R::Conflict), Ok(T::MarkDeleted)],
            ),
            (
                ReleasePending,
                [Err(R::Locked), Err(R::Conflict), Err(R::Conflict), Ok(T::MarkReleaseSucceeded), Ok(T::MarkReleaseFailed), Ok(T::Revalidate), Err(R::Locked)],
            ),
            (
                ReleaseSucceeded,
                [Err(R::Locked), Err(R::Conflict), Err(R::Conflict), Ok(T::MarkReleaseSucceeded), Err(R::Conflict), Ok(T::Revalidate), Err(R::Locked)],
            ),
            (
                ReleaseFailed,
                [
                    Ok(T::Revalidate),
                    Ok(T::MarkReleasePending),
                    Err(R::RulesFail),
                    Ok(T::MarkReleaseSucceeded),
                    Err(R::Conflict),
                    Ok(T::Revalidate),
                    Ok(T::MarkDeleted),
                ],
            ),
        ];
        for (status, row) in table.iter() {
            for (op, expected) in ops.iter().zip(row.iter()) {
                let got = transition(&st(*status), op, MachineSettings::default());
                assert_eq!(&got, expected, "{} × {}", status.as_str(), op.name());
                // A deleted entry is missing for every operation.
                let mut deleted = st(*status);
                deleted.deleted = true;
                assert_eq!(transition(&deleted, op, MachineSettings::default()), Err(R::NotFound));
            }
            // With allowPostReleaseEdit, an edit of a locked entry unreleases it first; nothing
            // else changes.
            let settings = MachineSettings { allow_post_release_edit: true };
            let got = transition(&st(*status), &Operation::Edit, settings);
            let expected = if status.is_locked() { Ok(T::UnreleaseThenRevalidate) } else { Ok(T::Revalidate) };
            assert_eq!(got, expected, "{} × edit with allowPostReleaseEdit", status.as_str());
            assert_eq!(transition(&st(*status), &Operation::Delete, settings), row[6], "delete ignores the setting");
        }
    }

    #[test]
    fn repeated_release_succeeded_is_idempotent() {
        let mut s = st(ReleaseSucceeded);
        s.external_id = Some("PMS-1".into());
        let same = Operation::ReleaseSucceeded { external_id: Some("PMS-1".into()) };
        assert_eq!(transition(&s, &same, MachineSettings::default()), Ok(Transition::NoChange));
        let none = Operation::ReleaseSucceeded { external_id: None };
        assert_eq!(transition(&s, &none, MachineSettings::default()), Ok(Transition::NoChange));
        let other = Operation::ReleaseSucceeded { external_id: Some("PMS-2".into()) };
        assert_eq!(transition(&s, &other, MachineSettings::default()), Err(Refusal::Conflict));
        s.external_id = None;
        assert_eq!(transition(&s, &same, MachineSettings::default()), Ok(Transition::MarkReleaseSucceeded));
        assert_eq!(transition(&s, &none, MachineSettings::default()), Ok(Transition::NoChange));
    }

    #[test]
    fn a_re_release_keeps_its_pms_id() {
        let mut s = st(ReleasePending);
        s.external_id = Some("PMS-1".into());
        let same = Operation::ReleaseSucceeded { external_id: Some("PMS-1".into()) };
        let other = Operation::ReleaseSucceeded { external_id: Some("PMS-2".into()) };
        let none = Operation::ReleaseSucceeded { external_id: None };
        assert_eq!(transition(&s, &same, MachineSettings::default()), Ok(Transition::MarkReleaseSucceeded));
        assert_eq!(transition(&s, &none, MachineSettings::default()), Ok(Transition::MarkReleaseSucceeded));
        assert_eq!(transition(&s, &other, MachineSettings::default()), Err(Refusal::Conflict));
    }

    #[test]
    fn status_names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
        }
        assert!(Status::parse("released").is_err());
    }

    /// The effect table: what each accepted transition sets, so no caller spells it out.
    #[test]
    fn effects_of_each_transition() {
        let release = effect(&Operation::Release { rules_pass: true }, &Transition::MarkReleasePending);
        assert_eq!(release.status, Some(ReleasePending));
        assert_eq!(release.locked, Some(true));
        assert!(release.count_release && release.clear_validation_errors && release.clear_release_errors && release.touch);
        assert!(!release.revalidate && !release.stamp_success && !release.deleted);

        let ok = effect(&Operation::ReleaseSucceeded { external_id: Some("PMS-9".into()) }, &Transition::MarkReleaseSucceeded);
        assert_eq!((ok.status, ok.locked, ok.external_id.as_deref()), (Some(ReleaseSucceeded), Some(true), Some("PMS-9")));
        assert!(ok.stamp_success && ok.clear_release_errors && !ok.clear_validation_errors && !ok.count_release);

        let failed = effect(&Operation::ReleaseFailed, &Transition::MarkReleaseFailed);
        assert_eq!((failed.status, failed.locked), (Some(ReleaseFailed), Some(false)));
        assert!(failed.stamp_failure && failed.clear_validation_errors && !failed.clear_release_errors);

        let unrelease = effect(&Operation::Unrelease, &Transition::Revalidate);
        assert_eq!((unrelease.status, unrelease.locked), (Some(ValidationPending), Some(false)));
        assert!(unrelease.revalidate && unrelease.touch);

        let edit = effect(&Operation::Edit, &Transition::Revalidate);
        assert_eq!((edit.status, edit.locked), (None, None), "an edit of an editable entry leaves the status to re-validation");
        assert!(edit.revalidate && edit.touch);
        let edit_released = effect(&Operation::Edit, &Transition::UnreleaseThenRevalidate);
        assert_eq!((edit_released.status, edit_released.locked), (Some(ValidationPending), Some(false)));

        let delete = effect(&Operation::Delete, &Transition::MarkDeleted);
        assert!(delete.deleted && delete.touch && delete.status.is_none());

        assert_eq!(effect(&Operation::ReleaseSucceeded { external_id: None }, &Transition::NoChange), Effect::default(), "a repeat changes nothing");
    }
}
