//! A deterministic generator of realistic firm data, for the demo and the benchmarks.
//!
//! Given a seed and a [`Scale`] it describes, for each customer (firm): clients, matters
//! (initiatives) billed in 360, 900 and 36 second increments, UTBMS-style code types and codes,
//! validation rules (customer-wide, and per matter with required code types), users in several
//! time zones, and for each user and work day a set of captured activities (emails, calls,
//! meetings, documents, research) inside working hours in the user's zone, some overlapping,
//! grouped into entries with UTBMS-like narratives and codes.
//!
//! Everything comes from a small self-contained PRNG (splitmix64). Each user-day has its own
//! stream derived from (seed, firm, user, date), so a day is generated on demand, in any order,
//! always the same: [`Firm::user_day`] never holds a month in memory, and changing the number of
//! days or users does not change the days that stay.
//!
//! Reference data and entries are described as engine inputs ([`ClientInput`], [`NewEntry`], …);
//! [`import_reference`] and [`import_day`] load them into an [`Engine`] (one transaction per
//! user-day through [`Engine::import_entries`]).

use std::collections::HashMap;

use tenths::time::parse_zone;
use tenths::{
    BillingType, ClientInput, CodeInput, CodeTypeInput, CustomerSettingsPatch, Date, Engine, InitiativeInput, NewEntry, ObjectId, Result, Scope, SourceInput,
    SourceKind, TenthsError, Timestamp, UserSettings, ValidationRulesInput,
};

// ----- the PRNG --------------------------------------------------------------------------------

/// splitmix64: tiny, fast, good enough for test data, and stable across platforms and releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// An independent stream for a path of keys under `seed` (e.g. `[firm, user, day]`).
    pub fn derive(seed: u64, path: &[u64]) -> Rng {
        let mut s = mix(seed ^ 0x7465_6e74_6873_2121);
        for (i, p) in path.iter().enumerate() {
            s = mix(s ^ mix(p.wrapping_add(GOLDEN.wrapping_mul(i as u64 + 1))));
        }
        Rng::new(s)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + self.below(span) as i64
    }

    /// True with probability `p`/1000.
    pub fn permille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }

    /// An index in `0..len` (0 when `len` is 0).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// An index drawn with the given weights (0 when they are all 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if r < u64::from(*w) {
                return i;
            }
            r -= u64::from(*w);
        }
        0
    }

    /// A deterministic ObjectId whose timestamp part is `unix_seconds`.
    pub fn object_id(&mut self, unix_seconds: i64) -> ObjectId {
        let secs = unix_seconds.clamp(0, i64::from(u32::MAX)) as u32;
        let hex = format!("{secs:08x}{:016x}", self.next_u64());
        ObjectId::parse(&hex).expect("24 hexadecimal digits")
    }
}

// ----- scale and firm description -------------------------------------------------------------

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Firms (tenants), each with the same reference data and its own users.
    pub customers: usize,
    /// Timekeepers per firm.
    pub users: usize,
    /// Calendar days from the start date; activities are generated on weekdays only.
    pub days: usize,
    /// Entries per user and work day.
    pub entries_per_user_day: usize,
    /// Clients per firm. The first three are the hand-written ones; more are numbered copies of
    /// them (`C-1004` …).
    pub clients: usize,
    /// Matters per firm. The first eight are the hand-written ones; more are numbered copies of
    /// them (same increments, rules and narratives), spread over the clients.
    pub matters: usize,
}

impl Default for Scale {
    fn default() -> Self {
        Scale { customers: 1, users: 5, days: 30, entries_per_user_day: 6, clients: CLIENTS.len(), matters: MATTERS.len() }
    }
}

impl Scale {
    /// The hand-written firm (3 clients, 8 matters) with the given users, days and entries.
    pub fn firm(customers: usize, users: usize, days: usize, entries_per_user_day: usize) -> Scale {
        Scale { customers, users, days, entries_per_user_day, ..Scale::default() }
    }

    /// A firm of about `entries` entries (at least one user-day's worth), four per user and work
    /// day, 2,000 per user: at one million, 500 timekeepers over 100 weeks (500 work days), 20
    /// clients and 2,000 matters. Smaller targets shrink the users first (to one), then the days;
    /// matters stay at four per user (at least the eight hand-written ones), clients at one per 25
    /// users (at least three).
    pub fn large(entries: usize) -> Scale {
        let per_day = 4;
        let users = (entries / 2_000).clamp(1, 500);
        let work_days = (entries / (users * per_day)).clamp(1, 522);
        let days = (work_days * 7).div_ceil(5);
        Scale {
            customers: 1,
            users,
            days,
            entries_per_user_day: per_day,
            clients: (users / 25).clamp(CLIENTS.len(), 20),
            matters: (users * 4).clamp(MATTERS.len(), 2_000),
        }
    }

    /// Entries this scale generates (weekdays only).
    pub fn entries(&self, start: Date) -> usize {
        let work_days = (0..self.days).filter_map(|i| start.add_days(i as i64)).filter(|d| d.weekday_from_monday() < 5).count();
        self.customers * self.users * work_days * self.entries_per_user_day
    }
}

/// External id of the task code type.
pub const TASK: &str = "UTBMS-TASK";
/// External id of the activity code type.
pub const ACTIVITY: &str = "UTBMS-ACTIVITY";

/// A first day for generated data: a Monday. Fixed, so the same seed gives the same data
/// whatever the wall clock says. (March 2026 crosses both the US and the EU DST change.)
pub fn default_start() -> Date {
    Date::from_ymd(2026, 3, 2).expect("a valid date")
}

/// Which task codes a matter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFamily {
    /// UTBMS litigation task codes (L…).
    Litigation,
    /// UTBMS counseling task codes (C…).
    Counseling,
}

/// A matter with what the firm's PMS says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matter {
    pub input: InitiativeInput,
    /// Index into [`Firm::clients`].
    pub client: usize,
    pub family: CodeFamily,
    /// Rules of this matter (they replace the customer-wide rules for its entries).
    pub rules: Option<ValidationRulesInput>,
    /// External ids of the only codes allowed on it, when it restricts codes.
    pub allowed_codes: Option<Vec<String>>,
    /// How often timekeepers work on it, relative to the other matters.
    pub weight: u32,
    template: usize,
}

impl Matter {
    /// Whether entries on this matter need a code of `code_type`.
    pub fn requires(&self, code_type: &str) -> bool {
        self.rules.as_ref().is_some_and(|r| r.required_code_type_external_ids.iter().any(|t| t == code_type))
    }
}

/// A timekeeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: ObjectId,
    pub name: String,
    pub title: String,
    /// IANA zone.
    pub timezone: String,
    /// Indexes into [`Firm::matters`] of the matters this user works on.
    pub matters: Vec<usize>,
}

/// A code on a planned entry, by external ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeRef {
    pub code_type_external_id: String,
    pub external_id: String,
}

/// One captured activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub kind: SourceKind,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub title: String,
}

impl Activity {
    /// Length in milliseconds.
    pub fn millis(&self) -> i64 {
        self.ended_at.millis() - self.started_at.millis()
    }
}

/// An entry as the timekeeper would group it: a matter, a narrative, codes, and either the
/// activities it groups or a manual duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedEntry {
    /// A device-made id (deterministic).
    pub id: ObjectId,
    /// Index into [`Firm::matters`].
    pub matter: usize,
    pub work_date: Date,
    pub summary: String,
    pub notes: Option<String>,
    pub codes: Vec<CodeRef>,
    pub activities: Vec<Activity>,
    /// Entered duration of a manual entry (no activities).
    pub manual_seconds: Option<i64>,
}

/// One user's work day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDay {
    /// Index into [`Firm::users`].
    pub user: usize,
    pub date: Date,
    pub entries: Vec<PlannedEntry>,
}

impl UserDay {
    /// Every activity of the day, in entry order.
    pub fn activities(&self) -> impl Iterator<Item = &Activity> {
        self.entries.iter().flat_map(|e| e.activities.iter())
    }

    /// How many pairs of activities of two different entries of the day overlap in time.
    pub fn overlapping_pairs(&self) -> usize {
        let mut n = 0;
        for (i, a) in self.entries.iter().enumerate() {
            for b in &self.entries[i + 1..] {
                for x in &a.activities {
                    for y in &b.activities {
                        if x.started_at < y.ended_at && y.started_at < x.ended_at {
                            n += 1;
                        }
                    }
                }
            }
        }
        n
    }
}

/// One firm (customer) and everything to generate its days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firm {
    /// Index of this firm in the data set.
    pub index: usize,
    pub customer: ObjectId,
    pub name: String,
    /// The customer's default IANA zone.
    pub timezone: String,
    pub clients: Vec<ClientInput>,
    pub code_types: Vec<CodeTypeInput>,
    pub codes: Vec<CodeInput>,
    pub matters: Vec<Matter>,
    /// Customer-wide validation rules.
    pub customer_rules: ValidationRulesInput,
    pub users: Vec<User>,
    /// The calendar days covered, first to last.
    pub start: Date,
    pub days: usize,
    pub entries_per_user_day: usize,
    seed: u64,
}

/// Everything generated from one seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub seed: u64,
    pub scale: Scale,
    pub firms: Vec<Firm>,
}

impl Dataset {
    /// Describes `scale.customers` firms starting at [`default_start`].
    pub fn generate(seed: u64, scale: Scale) -> Dataset {
        Dataset::generate_from(seed, scale, default_start())
    }

    /// Describes the firms with their first day at `start`.
    pub fn generate_from(seed: u64, scale: Scale, start: Date) -> Dataset {
        let firms = (0..scale.customers).map(|i| Firm::generate(seed, i, scale, start)).collect();
        Dataset { seed, scale, firms }
    }
}

// ----- the firm template ----------------------------------------------------------------------

struct ClientTemplate {
    ext: &'static str,
    name: &'static str,
    call_sign: &'static str,
    description: &'static str,
}

const CLIENTS: [ClientTemplate; 3] = [
    ClientTemplate {
        ext: "C-1001",
        name: "Acme Manufacturing Inc.",
        call_sign: "ACME",
        description: "Industrial equipment maker; litigation and commercial work.",
    },
    ClientTemplate { ext: "C-1002", name: "Northwind Holdings LLC", call_sign: "NWH", description: "Holding company; M&A, employment and compliance." },
    ClientTemplate { ext: "C-1003", name: "Estate of Margaret Holloway", call_sign: "HOLL", description: "Probate and a contested will." },
];

struct MatterTemplate {
    client: usize,
    ext: &'static str,
    name: &'static str,
    call_sign: &'static str,
    increment: i64,
    billing: BillingType,
    family: CodeFamily,
    required: &'static [&'static str],
    /// Allowed task codes (all activity codes are allowed too) when the matter restricts codes.
    allowed_tasks: Option<&'static [&'static str]>,
    weight: u32,
    topics: &'static [&'static str],
    parties: &'static [&'static str],
    docs: &'static [&'static str],
}

const MATTERS: [MatterTemplate; 8] = [
    MatterTemplate {
        client: 0,
        ext: "M-1001-01",
        name: "Acme v. Globex Corp. (patent infringement)",
        call_sign: "ACME-GLX",
        increment: 360,
        billing: BillingType::Billable,
        family: CodeFamily::Litigation,
        required: &[TASK, ACTIVITY],
        allowed_tasks: None,
        weight: 5,
        topics: &["claim construction", "infringement contentions", "the prior art search", "the deposition of Globex's CTO", "the protective order"],
        parties: &["opposing counsel", "the client's general counsel", "the technical expert", "co-counsel"],
        docs: &[
            "the opening claim construction brief",
            "the infringement contentions",
            "the deposition outline",
            "the motion to compel",
            "the expert declaration",
        ],
    },
    MatterTemplate {
        client: 0,
        ext: "M-1001-02",
        name: "Acme: supply agreement renegotiation",
        call_sign: "ACME-SUP",
        increment: 360,
        billing: BillingType::Billable,
        family: CodeFamily::Counseling,
        required: &[],
        allowed_tasks: None,
        weight: 3,
        topics: &["the pricing schedule", "termination rights", "the force majeure clause", "exclusivity"],
        parties: &["the client's procurement team", "the supplier's counsel"],
        docs: &["the supply agreement redline", "the issues list", "the term sheet"],
    },
    MatterTemplate {
        client: 0,
        ext: "M-1001-03",
        name: "Acme: general corporate advice",
        call_sign: "ACME-GEN",
        increment: 900,
        billing: BillingType::Billable,
        family: CodeFamily::Counseling,
        required: &[],
        allowed_tasks: None,
        weight: 2,
        topics: &["board minutes", "annual filings", "officer appointments"],
        parties: &["the corporate secretary", "the client's CFO"],
        docs: &["the board resolutions", "the annual report"],
    },
    MatterTemplate {
        client: 1,
        ext: "M-1002-01",
        name: "Northwind: acquisition of Contoso Ltd.",
        call_sign: "NWH-CON",
        increment: 360,
        billing: BillingType::Billable,
        family: CodeFamily::Counseling,
        required: &[TASK],
        allowed_tasks: Some(&["C100", "C200", "C300", "C400"]),
        weight: 5,
        topics: &["due diligence findings", "the purchase agreement", "the disclosure schedules", "regulatory approvals", "the closing checklist"],
        parties: &["seller's counsel", "the client's deal team", "the escrow agent"],
        docs: &["the share purchase agreement", "the disclosure schedules", "the due diligence report", "the closing checklist"],
    },
    MatterTemplate {
        client: 1,
        ext: "M-1002-02",
        name: "Smith v. Northwind (employment)",
        call_sign: "NWH-SMI",
        increment: 36,
        billing: BillingType::Billable,
        family: CodeFamily::Litigation,
        required: &[],
        allowed_tasks: None,
        weight: 3,
        topics: &["the wrongful termination claim", "the EEOC charge", "mediation", "the personnel file"],
        parties: &["plaintiff's counsel", "the HR director", "the mediator"],
        docs: &["the position statement", "the answer to the complaint", "the mediation brief"],
    },
    MatterTemplate {
        client: 1,
        ext: "M-1002-03",
        name: "Northwind: compliance training (non-billable)",
        call_sign: "NWH-TRN",
        increment: 900,
        billing: BillingType::NonBillable,
        family: CodeFamily::Counseling,
        required: &[],
        allowed_tasks: None,
        weight: 1,
        topics: &["anti-bribery training", "the training materials"],
        parties: &["the compliance officer"],
        docs: &["the training deck"],
    },
    MatterTemplate {
        client: 2,
        ext: "M-1003-01",
        name: "Holloway Estate: probate administration",
        call_sign: "HOLL-PRB",
        increment: 360,
        billing: BillingType::Billable,
        family: CodeFamily::Counseling,
        required: &[],
        allowed_tasks: None,
        weight: 3,
        topics: &["the inventory of assets", "creditor notices", "the estate tax return", "beneficiary distributions"],
        parties: &["the executor", "the estate's accountant", "the probate clerk"],
        docs: &["the inventory and appraisal", "the petition for probate", "the notice to creditors"],
    },
    MatterTemplate {
        client: 2,
        ext: "M-1003-02",
        name: "Holloway Estate: will contest",
        call_sign: "HOLL-WIL",
        increment: 360,
        billing: BillingType::Billable,
        family: CodeFamily::Litigation,
        required: &[TASK, ACTIVITY],
        allowed_tasks: None,
        weight: 2,
        topics: &["testamentary capacity", "the undue influence allegations", "witness interviews"],
        parties: &["the contestant's counsel", "the drafting attorney", "the executor"],
        docs: &["the objection to the petition", "the witness interview memo", "the discovery requests"],
    },
];

const TASK_CODES: [(&str, &str); 17] = [
    ("L110", "Fact Investigation/Development"),
    ("L120", "Analysis/Strategy"),
    ("L130", "Experts/Consultants"),
    ("L140", "Document/File Management"),
    ("L160", "Settlement/Non-Binding ADR"),
    ("L190", "Other Case Assessment, Development and Administration"),
    ("L210", "Pleadings"),
    ("L230", "Court Mandated Conferences"),
    ("L250", "Other Written Motions and Submissions"),
    ("L310", "Written Discovery"),
    ("L320", "Document Production"),
    ("L330", "Depositions"),
    ("L390", "Other Discovery"),
    ("C100", "Fact Gathering"),
    ("C200", "Researching Law"),
    ("C300", "Analysis and Advice"),
    ("C400", "Third Party Communication"),
];

/// A retired code the PMS still sends (disabled): never used by generated entries.
const RETIRED_TASK: (&str, &str) = ("L199", "Case Assessment (retired)");

const ACTIVITY_CODES: [(&str, &str); 11] = [
    ("A101", "Plan and prepare for"),
    ("A102", "Research"),
    ("A103", "Draft/revise"),
    ("A104", "Review/analyze"),
    ("A105", "Communicate (in firm)"),
    ("A106", "Communicate (with client)"),
    ("A107", "Communicate (other outside counsel)"),
    ("A108", "Communicate (other external)"),
    ("A109", "Appear for/attend"),
    ("A110", "Manage data/files"),
    ("A111", "Other"),
];

const USERS: [(&str, &str); 8] = [
    ("Avery Chen", "Partner"),
    ("Jordan Patel", "Senior Associate"),
    ("Morgan Alvarez", "Associate"),
    ("Riley Okafor", "Associate"),
    ("Sam Kowalski", "Paralegal"),
    ("Taylor Brooks", "Counsel"),
    ("Casey Nakamura", "Associate"),
    ("Drew Lindqvist", "Paralegal"),
];

/// Zones chosen so every user's working day lies between 11:00 and 04:00 UTC of the next day:
/// a demo that walks the clock through the day in UTC order stays on each user's local day.
pub const USER_ZONES: [&str; 5] = ["America/New_York", "America/Chicago", "Europe/London", "America/Los_Angeles", "America/Denver"];

const NOTES: [&str; 5] = [
    "Client asked that this appear on the March invoice.",
    "Follow up next week.",
    "Discussed with the supervising partner.",
    "Part of the agreed fee cap.",
    "See the file memo of the same date.",
];

fn unix_seconds(d: Date) -> i64 {
    Date::from_ymd(1970, 1, 1).map(|epoch| epoch.days_until(d) * 86_400).unwrap_or(0)
}

fn day_key(d: Date) -> u64 {
    unix_seconds(d).max(0) as u64 / 86_400
}

impl Firm {
    /// Describes firm `index` of the data set.
    pub fn generate(seed: u64, index: usize, scale: Scale, start: Date) -> Firm {
        let mut rng = Rng::derive(seed, &[index as u64, u64::MAX]);
        let customer = rng.object_id(unix_seconds(start) - 86_400 * 365);
        let n_clients = scale.clients.max(1);
        let clients: Vec<ClientInput> = (0..n_clients)
            .map(|j| {
                let c = &CLIENTS[j % CLIENTS.len()];
                let copy = j / CLIENTS.len();
                if copy == 0 {
                    ClientInput { external_id: c.ext.into(), name: c.name.into(), call_sign: Some(c.call_sign.into()), description: Some(c.description.into()) }
                } else {
                    ClientInput {
                        external_id: format!("C-{}", 1001 + j),
                        name: format!("{} ({})", c.name, copy + 1),
                        call_sign: Some(format!("{}{}", c.call_sign, copy + 1)),
                        description: Some(c.description.into()),
                    }
                }
            })
            .collect();
        let code_types = vec![
            CodeTypeInput { external_id: TASK.into(), name: "UTBMS task".into(), semantic_type: "task".into() },
            CodeTypeInput { external_id: ACTIVITY.into(), name: "UTBMS activity".into(), semantic_type: "activity".into() },
        ];
        let mut codes: Vec<CodeInput> = TASK_CODES
            .iter()
            .map(|(ext, name)| CodeInput {
                external_id: (*ext).into(),
                name: (*name).into(),
                description: None,
                code_type_external_id: TASK.into(),
                is_disabled: None,
            })
            .collect();
        codes.push(CodeInput {
            external_id: RETIRED_TASK.0.into(),
            name: RETIRED_TASK.1.into(),
            description: Some("Retired; use L190.".into()),
            code_type_external_id: TASK.into(),
            is_disabled: Some(true),
        });
        codes.extend(ACTIVITY_CODES.iter().map(|(ext, name)| CodeInput {
            external_id: (*ext).into(),
            name: (*name).into(),
            description: None,
            code_type_external_id: ACTIVITY.into(),
            is_disabled: None,
        }));
        let matters: Vec<Matter> = (0..scale.matters.max(1))
            .map(|i| {
                let template = i % MATTERS.len();
                let m = &MATTERS[template];
                let copy = i / MATTERS.len();
                let client = if copy == 0 && m.client < n_clients { m.client } else { i % n_clients };
                (i, template, m, copy, client)
            })
            .map(|(i, template, m, copy, client)| Matter {
                input: InitiativeInput {
                    external_id: if copy == 0 { m.ext.into() } else { format!("M-{}-{i:04}", 1001 + client) },
                    name: if copy == 0 { m.name.into() } else { format!("{} [{}]", m.name, copy + 1) },
                    description: None,
                    call_sign: Some(if copy == 0 { m.call_sign.into() } else { format!("{}-{}", m.call_sign, copy + 1) }),
                    client_external_id: clients.get(client).map(|c| c.external_id.clone()),
                    billing_type: m.billing,
                    unit_increments: m.increment,
                    status: None,
                    kind: None,
                },
                client,
                family: m.family,
                rules: (!m.required.is_empty()).then(|| ValidationRulesInput {
                    required_code_type_external_ids: m.required.iter().map(|s| s.to_string()).collect(),
                    is_summary_required: Some(true),
                    cannot_release_future_work: Some(true),
                    cannot_release_negative_increment: Some(true),
                    cannot_release_zero_increment: Some(true),
                }),
                allowed_codes: m
                    .allowed_tasks
                    .map(|tasks| tasks.iter().map(|s| s.to_string()).chain(ACTIVITY_CODES.iter().map(|(ext, _)| ext.to_string())).collect()),
                weight: m.weight,
                template,
            })
            .collect();
        let users = (0..scale.users)
            .map(|u| {
                let (name, title) = USERS[u % USERS.len()];
                let name = if u < USERS.len() { name.to_string() } else { format!("{name} {}", u / USERS.len() + 1) };
                // Four to six matters each, always including one of the two big ones.
                let mut mine = vec![if u % 2 == 0 { 0 } else { 3 }];
                let want = rng.range(4, 6) as usize;
                while mine.len() < want {
                    let m = rng.index(matters.len());
                    if !mine.contains(&m) {
                        mine.push(m);
                    }
                }
                mine.sort_unstable();
                User {
                    id: rng.object_id(unix_seconds(start) - 86_400 * 300),
                    name,
                    title: title.into(),
                    timezone: USER_ZONES[u % USER_ZONES.len()].into(),
                    matters: mine,
                }
            })
            .collect();
        Firm {
            index,
            customer,
            name: if index == 0 { "Harbor & Finch LLP".into() } else { format!("Harbor & Finch LLP ({})", index + 1) },
            timezone: "America/New_York".into(),
            clients,
            code_types,
            codes,
            matters,
            customer_rules: ValidationRulesInput {
                required_code_type_external_ids: Vec::new(),
                is_summary_required: Some(true),
                cannot_release_future_work: Some(true),
                cannot_release_negative_increment: Some(true),
                cannot_release_zero_increment: Some(true),
            },
            users,
            start,
            days: scale.days,
            entries_per_user_day: scale.entries_per_user_day,
            seed,
        }
    }

    /// The calendar days covered.
    pub fn dates(&self) -> Vec<Date> {
        (0..self.days).filter_map(|i| self.start.add_days(i as i64)).collect()
    }

    /// The weekdays covered (the days with activities).
    pub fn work_days(&self) -> Vec<Date> {
        self.dates().into_iter().filter(|d| d.weekday_from_monday() < 5).collect()
    }

    /// Every user-day, dates outer, users inner, generated lazily.
    pub fn user_days(&self) -> impl Iterator<Item = UserDay> + '_ {
        self.work_days().into_iter().flat_map(move |d| (0..self.users.len()).map(move |u| self.user_day(u, d)))
    }

    /// Index of a matter by external id.
    pub fn matter_index(&self, external_id: &str) -> Option<usize> {
        self.matters.iter().position(|m| m.input.external_id == external_id)
    }

    /// A task code suited to a matter (its first allowed one).
    pub fn default_task_code(&self, matter: usize) -> CodeRef {
        let ext = match self.matters.get(matter).map(|m| m.family) {
            Some(CodeFamily::Counseling) => "C300",
            _ => "L120",
        };
        CodeRef { code_type_external_id: TASK.into(), external_id: ext.into() }
    }

    /// A matter the user can time without codes (for timers), preferring their own.
    pub fn timer_matter(&self, user: usize, rng: &mut Rng) -> usize {
        let free: Vec<usize> = self.matters.iter().enumerate().filter(|(_, m)| m.rules.is_none()).map(|(i, _)| i).collect();
        let mine: Vec<usize> = self.users.get(user).map(|u| u.matters.iter().copied().filter(|m| free.contains(m)).collect()).unwrap_or_default();
        if !mine.is_empty() {
            *rng.pick(&mine)
        } else if !free.is_empty() {
            *rng.pick(&free)
        } else {
            0
        }
    }

    /// A one-line narrative for a phone call on a matter (timers).
    pub fn call_summary(&self, matter: usize, rng: &mut Rng) -> String {
        let t = &MATTERS[self.matters.get(matter).map(|m| m.template).unwrap_or(0)];
        format!("Telephone conference with {} regarding {}.", rng.pick(t.parties), rng.pick(t.topics))
    }

    /// The activities and entries of one user on one date (empty on weekends), always the same
    /// for the same (seed, firm, user, date).
    pub fn user_day(&self, user: usize, date: Date) -> UserDay {
        let mut day = UserDay { user, date, entries: Vec::new() };
        let Some(u) = self.users.get(user) else { return day };
        if date.weekday_from_monday() >= 5 || self.entries_per_user_day == 0 || u.matters.is_empty() {
            return day;
        }
        let Ok(zone) = parse_zone(&u.timezone, "timezone") else { return day };
        let mut rng = Rng::derive(self.seed, &[self.index as u64, user as u64, day_key(date)]);
        // Local midnight plus an offset. On the two DST days of a year the offset is off by an
        // hour of wall time; every time still falls inside the local day.
        let midnight = date.start_in(zone).millis();
        let n = self.entries_per_user_day as i64;
        let day_start = midnight + (8 * 3600 + rng.range(0, 75 * 60)) * 1000;
        let day_end = midnight + 19 * 3600 * 1000;
        let slot = ((day_end - day_start) / n).max(3 * 60 * 1000);
        let weights: Vec<u32> = u.matters.iter().map(|m| self.matters[*m].weight).collect();
        let mut prev_last: Option<(i64, i64)> = None;
        for i in 0..n {
            let matter = u.matters[rng.weighted(&weights)];
            let slot_start = day_start + i * slot;
            let slot_end = slot_start + slot;
            let t = &MATTERS[self.matters[matter].template];
            let family = self.matters[matter].family;
            // 0 correspondence, 1 call, 2 meeting, 3 drafting, 4 research, 5 manual time
            let archetype = rng.weighted(&[25, 20, 12, 20, 15, 8]);
            let id = rng.object_id(midnight / 1000 + 8 * 3600 + i);
            let mut phrases: Vec<String> = Vec::new();
            let mut activities = Vec::new();
            let mut manual_seconds = None;
            let main_kind;
            if archetype == 5 {
                main_kind = SourceKind::Manual;
                let minutes = rng.range(6, 150);
                manual_seconds = Some(minutes * 60);
                let place = *rng.pick(&["the courthouse", "the client's offices", "opposing counsel's offices"]);
                phrases.push(if rng.permille(500) {
                    format!("Travel to and from {place} regarding {}", rng.pick(t.topics))
                } else {
                    format!("Review the file and plan next steps on {}", rng.pick(t.topics))
                });
            } else {
                let kinds: Vec<SourceKind> = match archetype {
                    0 => vec![SourceKind::Email; rng.range(1, 4) as usize],
                    1 => std::iter::once(SourceKind::Call).chain(rng.permille(400).then_some(SourceKind::Email)).collect(),
                    2 => std::iter::once(SourceKind::Meeting).chain(rng.permille(350).then_some(SourceKind::Document)).collect(),
                    3 => vec![SourceKind::Document; rng.range(1, 2) as usize].into_iter().chain(rng.permille(300).then_some(SourceKind::Email)).collect(),
                    _ => vec![SourceKind::Research; rng.range(1, 2) as usize].into_iter().chain(rng.permille(300).then_some(SourceKind::Document)).collect(),
                };
                main_kind = kinds[0];
                let mut cursor = slot_start.max(prev_last.map(|(_, e)| e).unwrap_or(0)) + rng.range(0, 240) * 1000;
                // About one entry in six starts while the previous entry's last activity is
                // still going on (an email read during a meeting, a call taken while drafting).
                if let Some((ps, pe)) = prev_last {
                    if pe - ps > 3 * 60 * 1000 && rng.permille(180) {
                        cursor = rng.range(ps + 60_000, pe - 60_000);
                    }
                }
                for (k, kind) in kinds.iter().enumerate() {
                    let (lo, hi) = match kind {
                        SourceKind::Email => (90, 12 * 60),
                        SourceKind::Call => (4 * 60, 40 * 60),
                        SourceKind::Meeting => (25 * 60, 95 * 60),
                        SourceKind::Document => (15 * 60, 120 * 60),
                        _ => (15 * 60, 90 * 60),
                    };
                    let start = cursor;
                    let mut end = start + rng.range(lo, hi) * 1000;
                    if end > slot_end {
                        end = slot_end;
                    }
                    if end - start < 60_000 {
                        if k > 0 {
                            break;
                        }
                        end = start + 60_000;
                    }
                    let (Ok(s), Ok(e)) = (Timestamp::from_millis(start), Timestamp::from_millis(end)) else { break };
                    let (phrase, title) = phrase_for(*kind, t, &mut rng);
                    if !phrases.contains(&phrase) {
                        phrases.push(phrase);
                    }
                    activities.push(Activity { kind: *kind, started_at: s, ended_at: e, title });
                    cursor = end + rng.range(0, 180) * 1000;
                }
                prev_last = activities.last().map(|a| (a.started_at.millis(), a.ended_at.millis()));
            }
            let mut summary = sentence(&phrases);
            // A few entries are left incomplete, as real ones are: no narrative yet, or no task code.
            if rng.permille(12) {
                summary.clear();
            }
            let mut codes = Vec::new();
            let missing_task = rng.permille(40);
            if !missing_task {
                codes.push(CodeRef { code_type_external_id: TASK.into(), external_id: task_code(main_kind, family, &mut rng).into() });
            }
            codes.push(CodeRef { code_type_external_id: ACTIVITY.into(), external_id: activity_code(main_kind, &mut rng).into() });
            let notes = rng.permille(120).then(|| rng.pick(&NOTES).to_string());
            day.entries.push(PlannedEntry { id, matter, work_date: date, summary, notes, codes, activities, manual_seconds });
        }
        day
    }
}

fn phrase_for(kind: SourceKind, t: &MatterTemplate, rng: &mut Rng) -> (String, String) {
    let topic = *rng.pick(t.topics);
    let party = *rng.pick(t.parties);
    let doc = *rng.pick(t.docs);
    match kind {
        SourceKind::Email => {
            if rng.permille(500) {
                (format!("correspond with {party} regarding {topic}"), format!("Re: {topic}"))
            } else {
                (format!("review and respond to email from {party} regarding {topic}"), format!("RE: FW: {topic}"))
            }
        }
        SourceKind::Call => (format!("telephone conference with {party} regarding {topic}"), format!("Call with {party}")),
        SourceKind::Meeting => {
            if rng.permille(500) {
                (format!("meeting with {party} to discuss {topic}"), format!("Meeting: {topic}"))
            } else {
                (format!("attend strategy meeting regarding {topic}"), format!("Strategy meeting: {topic}"))
            }
        }
        SourceKind::Document => {
            if rng.permille(600) {
                (format!("draft and revise {doc}"), format!("{doc}.docx"))
            } else {
                (format!("review and annotate {doc}"), format!("{doc}.pdf"))
            }
        }
        _ => (format!("legal research regarding {topic}"), format!("Research: {topic}")),
    }
}

fn sentence(phrases: &[String]) -> String {
    let joined = phrases.join("; ");
    let mut chars = joined.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

fn task_code(kind: SourceKind, family: CodeFamily, rng: &mut Rng) -> &'static str {
    let options: &[&'static str] = match (family, kind) {
        (CodeFamily::Litigation, SourceKind::Email) => &["L120", "L310", "L160"],
        (CodeFamily::Litigation, SourceKind::Call) => &["L120", "L160", "L190"],
        (CodeFamily::Litigation, SourceKind::Meeting) => &["L120", "L230"],
        (CodeFamily::Litigation, SourceKind::Document) => &["L210", "L250", "L310", "L320"],
        (CodeFamily::Litigation, SourceKind::Research) => &["L110", "L120", "L250"],
        (CodeFamily::Litigation, _) => &["L190", "L330"],
        (CodeFamily::Counseling, SourceKind::Email | SourceKind::Call) => &["C300", "C400"],
        (CodeFamily::Counseling, SourceKind::Research) => &["C200"],
        (CodeFamily::Counseling, SourceKind::Meeting | SourceKind::Document) => &["C300", "C100"],
        (CodeFamily::Counseling, _) => &["C100", "C300"],
    };
    options[rng.index(options.len())]
}

fn activity_code(kind: SourceKind, rng: &mut Rng) -> &'static str {
    let options: &[&'static str] = match kind {
        SourceKind::Email => &["A106", "A107", "A108"],
        SourceKind::Call => &["A106", "A108"],
        SourceKind::Meeting => &["A105", "A106", "A109"],
        SourceKind::Document => &["A103", "A104"],
        SourceKind::Research => &["A102"],
        _ => &["A101", "A109", "A111"],
    };
    options[rng.index(options.len())]
}

// ----- loading into an engine -----------------------------------------------------------------

/// The ids the engine gave a firm's reference data.
#[derive(Debug, Clone)]
pub struct Imported {
    pub customer: ObjectId,
    /// Initiative `_id`s, in [`Firm::matters`] order.
    pub matter_ids: Vec<ObjectId>,
    /// Code `_id`s by (code type, code) external ids.
    pub code_ids: HashMap<(String, String), ObjectId>,
}

impl Imported {
    /// The engine id of a code.
    pub fn code_id(&self, code: &CodeRef) -> Option<ObjectId> {
        self.code_ids.get(&(code.code_type_external_id.clone(), code.external_id.clone())).copied()
    }

    /// Index into [`Firm::matters`] of an initiative id.
    pub fn matter_index(&self, initiative: &ObjectId) -> Option<usize> {
        self.matter_ids.iter().position(|m| m == initiative)
    }

    /// The engine input for a planned entry.
    pub fn new_entry(&self, e: &PlannedEntry) -> NewEntry {
        let sourced = !e.activities.is_empty();
        NewEntry {
            id: Some(e.id),
            initiative_id: self.matter_ids.get(e.matter).copied(),
            summary: Some(e.summary.clone()),
            notes: e.notes.clone(),
            // A sourced entry's work date comes from its first activity in the user's zone.
            work_date: if sourced { None } else { Some(e.work_date) },
            code_ids: e.codes.iter().filter_map(|c| self.code_id(c)).collect(),
            duration_in_seconds: if sourced { None } else { Some(e.manual_seconds.unwrap_or(0)) },
            sources: e
                .activities
                .iter()
                .map(|a| SourceInput { kind: a.kind, started_at: a.started_at, ended_at: a.ended_at, title: Some(a.title.clone()) })
                .collect(),
            creation_method: Some(if sourced { "grouped".into() } else { "manual".into() }),
            enrichment_correlation_id: None,
        }
    }

    /// The engine inputs of a user-day.
    pub fn new_entries(&self, day: &UserDay) -> Vec<NewEntry> {
        day.entries.iter().map(|e| self.new_entry(e)).collect()
    }
}

/// Loads a firm's settings and reference data: customer zone, user zones, clients, code types,
/// codes, matters, allowed codes and validation rules.
pub fn import_reference(engine: &Engine, firm: &Firm) -> Result<Imported> {
    let customer = firm.customer;
    engine.update_customer_settings(&customer, &CustomerSettingsPatch { timezone: Some(firm.timezone.clone()), ..CustomerSettingsPatch::default() })?;
    for u in &firm.users {
        engine.update_user_settings(&customer, &u.id, &UserSettings { timezone: Some(u.timezone.clone()) })?;
    }
    for c in &firm.clients {
        engine.upsert_client(&customer, c)?;
    }
    for t in &firm.code_types {
        engine.upsert_code_type(&customer, t)?;
    }
    let mut code_ids = HashMap::new();
    for c in &firm.codes {
        let code = engine.upsert_code(&customer, c)?;
        code_ids.insert((c.code_type_external_id.clone(), c.external_id.clone()), code.id);
    }
    let mut matter_ids = Vec::with_capacity(firm.matters.len());
    for m in &firm.matters {
        matter_ids.push(engine.upsert_initiative(&customer, &m.input)?.id);
        if let Some(allowed) = &m.allowed_codes {
            engine.set_initiative_codes(&customer, &m.input.external_id, allowed)?;
        }
    }
    engine.set_validation_rules(&customer, None, &firm.customer_rules)?;
    for m in &firm.matters {
        if let Some(rules) = &m.rules {
            engine.set_validation_rules(&customer, Some(&m.input.external_id), rules)?;
        }
    }
    Ok(Imported { customer, matter_ids, code_ids })
}

/// Creates a user-day's entries in one transaction; returns their ids.
pub fn import_day(engine: &Engine, firm: &Firm, imported: &Imported, day: &UserDay) -> Result<Vec<ObjectId>> {
    let user = firm.users.get(day.user).ok_or_else(|| TenthsError::InvalidArgument { field: "user".into(), reason: "no such user in the firm".into() })?;
    if day.entries.is_empty() {
        return Ok(Vec::new());
    }
    engine.import_entries(&Scope::new(imported.customer, user.id), &imported.new_entries(day))
}

/// Creates one user's entries of several days in one transaction (a bulk load: fewer, larger
/// transactions than [`import_day`]); returns their ids in day order.
pub fn import_user_days(engine: &Engine, firm: &Firm, imported: &Imported, user: usize, dates: &[Date]) -> Result<Vec<ObjectId>> {
    let u = firm.users.get(user).ok_or_else(|| TenthsError::InvalidArgument { field: "user".into(), reason: "no such user in the firm".into() })?;
    let inputs: Vec<NewEntry> = dates.iter().flat_map(|d| imported.new_entries(&firm.user_day(user, *d))).collect();
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    engine.import_entries(&Scope::new(imported.customer, u.id), &inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tenths::{FixedClock, Status};

    fn small() -> Scale {
        Scale::firm(2, 3, 14, 6)
    }

    #[test]
    fn rng_is_deterministic_and_spread() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::derive(7, &[1, 2]).next_u64(), Rng::derive(7, &[2, 1]).next_u64());
        let mut r = Rng::new(1);
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            counts[r.below(10) as usize] += 1;
        }
        assert!(counts.iter().all(|c| (800..1200).contains(c)), "{counts:?}");
        assert!((0..1000).all(|_| (3..=9).contains(&r.range(3, 9))));
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = Dataset::generate(42, small());
        let b = Dataset::generate(42, small());
        assert_eq!(a, b);
        let days_a: Vec<UserDay> = a.firms.iter().flat_map(|f| f.user_days()).collect();
        let days_b: Vec<UserDay> = b.firms.iter().flat_map(|f| f.user_days()).collect();
        assert_eq!(days_a, days_b);
        let c = Dataset::generate(43, small());
        let days_c: Vec<UserDay> = c.firms.iter().flat_map(|f| f.user_days()).collect();
        assert_ne!(days_a, days_c);
        // A day does not depend on how many days or users are generated.
        let big = Dataset::generate(42, Scale { days: 30, users: 5, ..small() });
        let f = &a.firms[0];
        let d = f.work_days()[3];
        assert_eq!(f.user_day(1, d), big.firms[0].user_day(1, d));
    }

    #[test]
    fn a_large_firm_keeps_the_hand_written_one_and_numbers_the_rest() {
        let scale = Scale::large(1_000_000);
        assert_eq!((scale.users, scale.clients, scale.matters, scale.entries_per_user_day), (500, 20, 2_000, 4));
        assert_eq!(scale.entries(default_start()), 1_000_000);
        let big = Firm::generate(3, 0, Scale { users: 2, ..scale }, default_start());
        let small = Firm::generate(3, 0, Scale::firm(1, 2, 730, 4), default_start());
        assert_eq!(big.clients.len(), 20);
        assert_eq!(big.matters.len(), 2_000);
        assert_eq!(big.clients[..3], small.clients[..]);
        assert_eq!(big.matters[..8], small.matters[..]);
        let exts: std::collections::HashSet<&str> = big.matters.iter().map(|m| m.input.external_id.as_str()).collect();
        assert_eq!(exts.len(), 2_000);
        let clients: std::collections::HashSet<&str> = big.clients.iter().map(|c| c.external_id.as_str()).collect();
        assert_eq!(clients.len(), 20);
        assert!(big.matters.iter().all(|m| m.input.client_external_id.as_deref().is_some_and(|c| clients.contains(c))));
        let tiny = Scale::large(100);
        assert_eq!((tiny.users, tiny.entries_per_user_day, tiny.matters), (1, 4, 8));
        assert!(tiny.entries(default_start()) >= 100);
    }

    #[test]
    fn days_are_realistic() {
        let data = Dataset::generate(9, small());
        let firm = &data.firms[0];
        assert_eq!(firm.work_days().len(), 10);
        let mut overlaps = 0;
        let mut ids = std::collections::HashSet::new();
        for day in firm.user_days() {
            assert_eq!(day.entries.len(), 6);
            let zone = parse_zone(&firm.users[day.user].timezone, "timezone").unwrap();
            let midnight = day.date.start_in(zone).millis();
            for e in &day.entries {
                assert!(ids.insert(e.id), "ids are unique");
                assert!(e.activities.is_empty() != e.manual_seconds.is_none());
                for a in &e.activities {
                    assert!(a.millis() >= 60_000);
                    // Inside working hours (7:00-21:00 local, allowing for a DST day).
                    assert!(a.started_at.millis() >= midnight + 7 * 3_600_000, "{a:?}");
                    assert!(a.ended_at.millis() <= midnight + 21 * 3_600_000, "{a:?}");
                    assert_eq!(a.started_at.local_date(zone), day.date);
                }
            }
            overlaps += day.overlapping_pairs();
        }
        assert!(overlaps > 0, "some activities of different entries overlap");
        let kinds: std::collections::HashSet<&str> = firm.user_days().flat_map(|d| d.activities().map(|a| a.kind.as_str()).collect::<Vec<_>>()).collect();
        for k in ["email", "call", "meeting", "document", "research"] {
            assert!(kinds.contains(k), "{k}");
        }
        let incs: std::collections::BTreeSet<i64> = firm.matters.iter().map(|m| m.input.unit_increments).collect();
        assert_eq!(incs.into_iter().collect::<Vec<_>>(), vec![36, 360, 900]);
        assert!(firm.matters.iter().any(|m| m.requires(TASK)));
    }

    #[test]
    fn loads_into_an_engine_with_overlap_and_statuses() {
        let data = Dataset::generate(5, Scale::firm(1, 2, 7, 8));
        let firm = &data.firms[0];
        let clock = Arc::new(FixedClock::new(Timestamp::parse("2026-03-20T12:00:00Z").unwrap()));
        let engine = Engine::open_in_memory_with(clock).unwrap();
        let imported = import_reference(&engine, firm).unwrap();
        assert_eq!(imported.matter_ids.len(), 8);
        let mut n = 0;
        for day in firm.user_days() {
            let ids = import_day(&engine, firm, &imported, &day).unwrap();
            assert_eq!(ids, day.entries.iter().map(|e| e.id).collect::<Vec<_>>());
            n += ids.len();
        }
        assert_eq!(n, 2 * 5 * 8);
        let mut overlap = 0;
        let mut statuses = std::collections::HashSet::new();
        for u in &firm.users {
            for e in engine.list_entries(&Scope::new(firm.customer, u.id), firm.start, firm.start.add_days(6).unwrap()).unwrap() {
                overlap += e.overlap_time_in_seconds;
                statuses.insert(e.status);
                assert!(e.unit_increment_count() >= 1);
            }
        }
        assert!(overlap > 0);
        assert!(statuses.contains(&Status::ValidationSucceeded));
    }
}
