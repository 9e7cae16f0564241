//! Fuzz target `parsers`: the parsers of ids, dates, date-times, zones, rounding, status and role
//! (the cursor of a page is an ObjectId), and the unit and time arithmetic on any numbers.
//! Nothing panics (debug assertions are on, so an overflow is a panic), every parser refuses
//! with the field it was given, and what parses is written back to a text that parses to the
//! same value: parse(format(x)) == x.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenths::api::Role;
use tenths::units::{self, Rounding, UnitPolicy};
use tenths::{ids, time, Date, ObjectId, Status, Timestamp};

fn refused_on<T>(r: tenths::Result<T>, field: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert_eq!(e.field(), Some(field), "a refusal naming another field: {e}");
            None
        }
    }
}

fn text(s: &str) {
    if let Some(id) = refused_on(ObjectId::parse_field(s, "cursor"), "cursor") {
        assert_eq!(id.as_str(), s.to_ascii_lowercase(), "an id is its text in lower case");
        assert_eq!(ObjectId::parse(id.as_str()).ok(), Some(id));
    }
    if let Some(t) = refused_on(Timestamp::parse_field(s, "updatedAfter"), "updatedAfter") {
        assert_eq!(Timestamp::parse(&t.to_rfc3339()).ok(), Some(t), "{s} -> {t}");
        assert_eq!(Timestamp::from_millis(t.millis()).ok(), Some(t));
    }
    if let Some(d) = refused_on(Date::parse_field(s, "workDate"), "workDate") {
        assert_eq!(d.to_string(), s, "a date is its text");
        let zone = chrono_tz::Tz::Europe__Paris;
        assert!(d.start_in(zone) <= d.last_millisecond_in(zone));
        assert_eq!(d.start_in(chrono_tz::Tz::UTC).local_date(chrono_tz::Tz::UTC), d);
    }
    if let Some(zone) = refused_on(time::parse_zone(s, "timezone"), "timezone") {
        assert_eq!(time::parse_zone(zone.name(), "timezone").ok(), Some(zone));
        let today = Timestamp::from_millis_clamped(tenths_fuzz::NOW_MS).local_date(zone);
        assert!(today.start_in(zone) <= today.last_millisecond_in(zone), "{zone}");
    }
    if let Some(r) = refused_on(Rounding::parse_field(s, "rounding"), "rounding") {
        assert_eq!(Rounding::parse_field(r.as_str(), "rounding").ok(), Some(r));
    }
    if let Ok(status) = Status::parse(s) {
        assert_eq!(Status::parse(status.as_str()).ok(), Some(status));
    }
    let _ = Role::parse(s);
    let _ = refused_on(ids::check_external_id(s, "externalId"), "externalId");
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(s) {
        let _ = tenths::wire::count_from_json(&value);
    }
}

fn numbers(data: &[u8]) {
    let mut words = data.chunks(8).map(|c| {
        let mut b = [0u8; 8];
        for (slot, v) in b.iter_mut().zip(c) {
            *slot = *v;
        }
        i64::from_le_bytes(b)
    });
    let (a, b, c) = (words.next().unwrap_or(0), words.next().unwrap_or(0), words.next().unwrap_or(0));
    for rounding in [Rounding::Up, Rounding::Nearest, Rounding::Down] {
        for minimum_one_unit in [false, true] {
            let policy = UnitPolicy { rounding, minimum_one_unit };
            if let Ok(n) = units::units_from_raw(a, b, policy) {
                assert!(n >= 0, "a negative unit count from {a}s by {b}s");
            }
            let _ = units::compute(a, b, c, policy);
        }
    }
    let _ = units::raw_seconds(a, b);
    let _ = units::millis_to_seconds(a);
    let _ = units::hours_string(a);
    let _ = units::check_increment(a, "unitIncrements");
    let t = Timestamp::from_millis_clamped(a);
    assert_eq!(Timestamp::parse(&t.to_rfc3339()).ok(), Some(t), "{} -> {t}", t.millis());
    let _ = t.checked_add_millis(b);
    if let Some(d) = Date::from_ymd(1970, 1, 1).ok().and_then(|d| d.add_days(b % 3_000_000)) {
        let _ = d.to_string();
        let _ = d.succ();
        let _ = d.weekday_from_monday();
        let _ = d.days_until(t.local_date(chrono_tz::Tz::UTC));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        text(s);
        text(s.trim());
    }
    numbers(data);
});
