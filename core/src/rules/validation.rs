//! Validation rules (domain.md §4.3) as a pure function over the facts of one entry. The store
//! gathers the facts (initiative, codes, rules, today's date in the user's zone) and stores the
//! verdict; nothing here reads the database or the clock.

use crate::error::RuleFailure;
use crate::rules::time::Date;
use crate::rules::units::MAX_RELEASABLE_SECONDS;

/// The rules that apply to an entry: the initiative's own, else customer-wide, else defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// `isSummaryRequired`.
    pub is_summary_required: bool,
    /// `cannotReleaseFutureWork`.
    pub cannot_release_future_work: bool,
    /// `cannotReleaseNegativeIncrement`.
    pub cannot_release_negative_increment: bool,
    /// `cannotReleaseZeroIncrement`.
    pub cannot_release_zero_increment: bool,
    /// Code types of which the entry needs a code.
    pub required_code_type_external_ids: Vec<String>,
}

impl Default for Rules {
    /// The defaults: summary required, no zero, no negative.
    fn default() -> Self {
        Rules {
            is_summary_required: true,
            cannot_release_future_work: false,
            cannot_release_negative_increment: true,
            cannot_release_zero_increment: true,
            required_code_type_external_ids: Vec::new(),
        }
    }
}

/// What validation needs to know about the entry's initiative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitiativeFacts {
    /// The entry names no initiative.
    Missing,
    /// The entry names an initiative this store does not know (yet): the entry waits.
    Unknown,
    /// A known initiative.
    Known {
        /// `pms` (releasable) or `temporary`.
        is_pms: bool,
        /// `status == active`.
        is_active: bool,
        /// The user is denied access (on the deny list, or not on a non-empty allow list).
        user_denied: bool,
        /// External ids of the allowed codes, when the initiative restricts them.
        allowed_code_ids: Option<Vec<String>>,
    },
}

/// What validation needs to know about one code of the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFacts {
    /// The code's `_id`.
    pub id: String,
    /// Its external id (for messages).
    pub external_id: String,
    /// Its type's external id.
    pub code_type_external_id: String,
    /// `isDisabled`.
    pub is_disabled: bool,
}

/// Everything validation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFacts<'a> {
    /// The initiative.
    pub initiative: InitiativeFacts,
    /// The summary.
    pub summary: &'a str,
    /// The entry's codes.
    pub codes: &'a [CodeFacts],
    /// Raw seconds.
    pub raw_seconds: i64,
    /// Billed seconds (`incrementDurationInSeconds`).
    pub billed_seconds: i64,
    /// `unitIncrementCount`.
    pub unit_count: i64,
    /// The work date.
    pub work_date: Date,
    /// Today in the user's zone.
    pub today: Date,
    /// A timer session of this entry is still running.
    pub timer_running: bool,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Waiting for data (unknown initiative, running timer).
    Pending,
    /// Every rule holds.
    Succeeded,
    /// The failing rules, one error each, in rule order.
    Failed(Vec<RuleFailure>),
}

fn fail(rule: &str, title: &str, description: String) -> RuleFailure {
    RuleFailure { rule: rule.to_string(), title: title.to_string(), description }
}

/// Runs every rule; a fact that is missing makes the entry pending instead.
pub fn validate(facts: &EntryFacts<'_>, rules: &Rules) -> Verdict {
    if facts.timer_running || facts.initiative == InitiativeFacts::Unknown {
        return Verdict::Pending;
    }
    let mut failures = Vec::new();
    match &facts.initiative {
        InitiativeFacts::Missing => failures.push(fail("initiative", "No matter", "Assign the entry to a matter.".into())),
        InitiativeFacts::Unknown => {}
        InitiativeFacts::Known { is_pms, is_active, user_denied, .. } => {
            if !is_pms {
                failures.push(fail("initiative", "Temporary matter", "A temporary matter cannot be released; assign a PMS matter.".into()));
            } else if !is_active {
                failures.push(fail("initiative", "Inactive matter", "The matter is inactive.".into()));
            } else if *user_denied {
                failures.push(fail("initiative", "No access to matter", "The user may not record time on this matter.".into()));
            }
        }
    }
    if rules.is_summary_required && crate::rules::text::is_blank(facts.summary) {
        failures.push(fail("summary", "Summary required", "Write a narrative for the entry.".into()));
    }
    let mut code_problems = Vec::new();
    for required in &rules.required_code_type_external_ids {
        if !facts.codes.iter().any(|c| &c.code_type_external_id == required) {
            code_problems.push(format!("a code of type {required} is required"));
        }
    }
    let allowed = match &facts.initiative {
        InitiativeFacts::Known { allowed_code_ids: Some(list), .. } => Some(list),
        _ => None,
    };
    for code in facts.codes {
        if code.is_disabled {
            code_problems.push(format!("code {} is disabled", code.external_id));
        }
        if let Some(list) = allowed {
            if !list.iter().any(|id| id == &code.id) {
                code_problems.push(format!("code {} is not allowed on this matter", code.external_id));
            }
        }
    }
    if !code_problems.is_empty() {
        failures.push(fail("codes", "Work codes", code_problems.join("; ")));
    }
    if facts.raw_seconds > MAX_RELEASABLE_SECONDS || facts.billed_seconds > MAX_RELEASABLE_SECONDS {
        failures.push(fail("duration", "Too long", format!("An entry may last at most {MAX_RELEASABLE_SECONDS} seconds (24 hours).")));
    }
    if rules.cannot_release_zero_increment && facts.unit_count == 0 {
        failures.push(fail("zero-increment", "No time", "The entry bills zero units.".into()));
    }
    if rules.cannot_release_negative_increment && facts.unit_count < 0 {
        failures.push(fail("negative-increment", "Negative time", "The entry bills a negative number of units.".into()));
    }
    if rules.cannot_release_future_work && facts.work_date > facts.today {
        failures.push(fail("future-work", "Future work", format!("The work date {} is after today ({}).", facts.work_date, facts.today)));
    }
    if failures.is_empty() {
        Verdict::Succeeded
    } else {
        Verdict::Failed(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> InitiativeFacts {
        InitiativeFacts::Known { is_pms: true, is_active: true, user_denied: false, allowed_code_ids: None }
    }

    fn facts<'a>(codes: &'a [CodeFacts]) -> EntryFacts<'a> {
        let d = Date::parse("2026-03-10").unwrap();
        EntryFacts {
            initiative: known(),
            summary: "Drafted motion",
            codes,
            raw_seconds: 420,
            billed_seconds: 720,
            unit_count: 2,
            work_date: d,
            today: d,
            timer_running: false,
        }
    }

    fn rule_ids(v: &Verdict) -> Vec<String> {
        match v {
            Verdict::Failed(f) => f.iter().map(|f| f.rule.clone()).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn a_complete_entry_succeeds() {
        assert_eq!(validate(&facts(&[]), &Rules::default()), Verdict::Succeeded);
    }

    #[test]
    fn one_error_per_failing_rule() {
        let code = CodeFacts { id: "c1".into(), external_id: "A101".into(), code_type_external_id: "activity".into(), is_disabled: true };
        let codes = [code];
        let mut f = facts(&codes);
        f.initiative = InitiativeFacts::Known { is_pms: true, is_active: true, user_denied: true, allowed_code_ids: Some(vec![]) };
        f.summary = "  ";
        f.raw_seconds = 90_000;
        f.unit_count = 0;
        f.work_date = Date::parse("2026-03-11").unwrap();
        let rules = Rules { cannot_release_future_work: true, required_code_type_external_ids: vec!["task".into()], ..Rules::default() };
        let v = validate(&f, &rules);
        assert_eq!(rule_ids(&v), ["initiative", "summary", "codes", "duration", "zero-increment", "future-work"]);
        if let Verdict::Failed(list) = v {
            let codes = &list[2].description;
            assert!(codes.contains("type task") && codes.contains("disabled") && codes.contains("not allowed"), "{codes}");
        }
    }

    #[test]
    fn negative_units_and_relaxed_rules() {
        let mut f = facts(&[]);
        f.unit_count = -1;
        assert_eq!(rule_ids(&validate(&f, &Rules::default())), ["negative-increment"]);
        let relaxed = Rules { cannot_release_negative_increment: false, cannot_release_zero_increment: false, is_summary_required: false, ..Rules::default() };
        f.summary = "";
        assert_eq!(validate(&f, &relaxed), Verdict::Succeeded);
        f.unit_count = 0;
        assert_eq!(validate(&f, &relaxed), Verdict::Succeeded);
    }

    #[test]
    fn missing_data_waits() {
        let mut f = facts(&[]);
        f.initiative = InitiativeFacts::Unknown;
        assert_eq!(validate(&f, &Rules::default()), Verdict::Pending);
        let mut f = facts(&[]);
        f.timer_running = true;
        assert_eq!(validate(&f, &Rules::default()), Verdict::Pending);
        let mut f = facts(&[]);
        f.initiative = InitiativeFacts::Missing;
        assert_eq!(rule_ids(&validate(&f, &Rules::default())), ["initiative"]);
    }

    #[test]
    fn temporary_and_inactive_matters_fail() {
        let mut f = facts(&[]);
        f.initiative = InitiativeFacts::Known { is_pms: false, is_active: true, user_denied: false, allowed_code_ids: None };
        assert_eq!(rule_ids(&validate(&f, &Rules::default())), ["initiative"]);
        f.initiative = InitiativeFacts::Known { is_pms: true, is_active: false, user_denied: false, allowed_code_ids: None };
        assert_eq!(rule_ids(&validate(&f, &Rules::default())), ["initiative"]);
    }
}
