//! Time values of the engine: instants in UTC milliseconds, calendar dates, IANA zones, and the
//! clock the engine is given. Input accepts any RFC 3339 offset; output is always UTC with `Z`,
//! with milliseconds only when the stored value has them, so a value read back and sent as a
//! window bound selects exactly what it should.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Result, TenthsError};

/// Earliest instant the engine accepts (1970-01-01).
pub const MIN_TIMESTAMP_MS: i64 = 0;
/// Latest instant the engine accepts (9999-12-31T23:59:59.999Z).
pub const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// An instant, in milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `ms` milliseconds after the epoch, clamped to the range a timestamp holds.
    pub fn from_millis_clamped(ms: i64) -> Timestamp {
        Timestamp(ms.clamp(MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS))
    }

    /// Builds a timestamp from epoch milliseconds, checking the supported range.
    pub fn from_millis(ms: i64) -> Result<Timestamp> {
        if !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&ms) {
            return Err(TenthsError::invalid("timestamp", "outside 1970-01-01..9999-12-31"));
        }
        Ok(Timestamp(ms))
    }

    /// Epoch milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 date-time with any offset (e.g. `2022-08-12T20:44:48Z`,
    /// `2022-08-12T22:44:48.5+02:00`); sub-millisecond digits are truncated.
    pub fn parse_field(s: &str, field: &str) -> Result<Timestamp> {
        let dt = DateTime::parse_from_rfc3339(s)
            .map_err(|_| TenthsError::invalid(field, format!("expected an RFC 3339 date-time such as 2022-08-12T20:44:48Z, got {:?}", short(s))))?;
        Timestamp::from_millis(dt.timestamp_millis()).map_err(|_| TenthsError::invalid(field, "date-time out of range"))
    }

    /// Parses a date-time; the error names the field `dateTime`.
    pub fn parse(s: &str) -> Result<Timestamp> {
        Self::parse_field(s, "dateTime")
    }

    /// UTC form with `Z`; milliseconds only when non-zero.
    pub fn to_rfc3339(self) -> String {
        let dt = self.to_chrono();
        let y = dt.year();
        if (0..=9999).contains(&y) {
            // The same text as the chrono formats below, written digit by digit: this runs for
            // every instant of every entry serialised (listings, exports, stored create bodies),
            // and parsing a format string each time cost more than the rest of the work.
            let mut out = String::with_capacity(24);
            let two = |out: &mut String, v: u32| {
                out.push(char::from(b'0' + (v / 10 % 10) as u8));
                out.push(char::from(b'0' + (v % 10) as u8));
            };
            let y = y as u32;
            two(&mut out, y / 100);
            two(&mut out, y % 100);
            out.push('-');
            two(&mut out, dt.month());
            out.push('-');
            two(&mut out, dt.day());
            out.push('T');
            two(&mut out, dt.hour());
            out.push(':');
            two(&mut out, dt.minute());
            out.push(':');
            two(&mut out, dt.second());
            let ms = self.0.rem_euclid(1000) as u32;
            if ms != 0 {
                out.push('.');
                out.push(char::from(b'0' + (ms / 100) as u8));
                two(&mut out, ms % 100);
            }
            out.push('Z');
            return out;
        }
        if self.0 % 1000 == 0 {
            dt.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        } else {
            dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
        }
    }

    pub(crate) fn to_chrono(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// Adds signed milliseconds, refusing results outside the supported range.
    pub fn checked_add_millis(self, ms: i64) -> Option<Timestamp> {
        self.0.checked_add(ms).and_then(|v| Timestamp::from_millis(v).ok())
    }

    /// The calendar date of this instant in `zone`.
    pub fn local_date(self, zone: Tz) -> Date {
        Date(self.to_chrono().with_timezone(&zone).date_naive())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A calendar date (`2022-08-12`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Date(NaiveDate);

impl Date {
    /// Parses `YYYY-MM-DD` (years 1970..9999): exactly four, two and two ASCII digits. chrono's
    /// `%m` and `%d` also take a space-padded number (`2022-08- 1`), which the documented format
    /// (the OpenAPI `Date` pattern) is not.
    pub fn parse_field(s: &str, field: &str) -> Result<Date> {
        let bad = || TenthsError::invalid(field, format!("expected a date such as 2022-08-12, got {:?}", short(s)));
        let shaped = s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shaped {
            return Err(bad());
        }
        // The digits are checked above: read them straight (chrono's format parser, run for
        // every stored work date read, cost more than the rest of reading the date).
        let digits = |from: usize, to: usize| s.bytes().take(to).skip(from).fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        let d = NaiveDate::from_ymd_opt(digits(0, 4) as i32, digits(5, 7), digits(8, 10)).ok_or_else(bad)?;
        if !(1970..=9999).contains(&d.year()) {
            return Err(bad());
        }
        Ok(Date(d))
    }

    /// Parses a date; the error names the field `date`.
    pub fn parse(s: &str) -> Result<Date> {
        Self::parse_field(s, "date")
    }

    /// Builds a date from its parts.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Result<Date> {
        NaiveDate::from_ymd_opt(y, m, d).map(Date).ok_or_else(|| TenthsError::invalid("date", "no such date"))
    }

    /// The next calendar day.
    pub fn succ(self) -> Option<Date> {
        self.0.succ_opt().map(Date)
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        (other.0 - self.0).num_days()
    }

    /// Days since 1970-01-01 (the Unix epoch's date), as columnar formats store dates.
    pub fn days_since_epoch(self) -> i64 {
        (self.0 - NaiveDate::default()).num_days()
    }

    /// Adds whole days.
    pub fn add_days(self, days: i64) -> Option<Date> {
        self.0.checked_add_signed(Duration::try_days(days)?).map(Date)
    }

    /// Monday = 0 … Sunday = 6.
    pub fn weekday_from_monday(self) -> u32 {
        self.0.weekday().num_days_from_monday()
    }

    /// The first instant of this local day in `zone` (the earliest valid local time at or after
    /// midnight when a DST change skips midnight).
    pub fn start_in(self, zone: Tz) -> Timestamp {
        let midnight = self.0.and_time(NaiveTime::MIN);
        let mut probe = midnight;
        // A DST jump skips at most a few hours; walk forward a minute at a time until a valid
        // local time exists.
        for _ in 0..(6 * 60) {
            match zone.from_local_datetime(&probe) {
                LocalResult::Single(t) => return Timestamp(t.timestamp_millis()),
                LocalResult::Ambiguous(a, b) => return Timestamp(a.timestamp_millis().min(b.timestamp_millis())),
                LocalResult::None => probe += Duration::minutes(1),
            }
        }
        Timestamp(midnight.and_utc().timestamp_millis())
    }

    /// The last millisecond of this local day in `zone` (23:59:59.999 local): where a timer
    /// session still running at midnight is stopped.
    pub fn last_millisecond_in(self, zone: Tz) -> Timestamp {
        match self.succ() {
            Some(next) => Timestamp(next.start_in(zone).0.saturating_sub(1)),
            None => Timestamp(MAX_TIMESTAMP_MS),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let y = self.0.year();
        if (0..=9999).contains(&y) {
            // The same text as `%Y-%m-%d` for four-digit years, without parsing a format string.
            write!(f, "{y:04}-{:02}-{:02}", self.0.month(), self.0.day())
        } else {
            write!(f, "{}", self.0.format("%Y-%m-%d"))
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Parses an IANA zone name (`Europe/Paris`, `UTC`).
pub fn parse_zone(s: &str, field: &str) -> Result<Tz> {
    s.parse::<Tz>().map_err(|_| TenthsError::invalid(field, format!("unknown IANA time zone {:?}", short(s))))
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Where the engine gets "now". Rules never read the system clock directly, so tests and
/// vectors can fix time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock that stands still until it is set or advanced: for tests, vectors and replays.
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    /// A clock that reads `at`.
    pub fn new(at: Timestamp) -> FixedClock {
        FixedClock(AtomicI64::new(at.0))
    }
    /// Moves the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }
    /// Moves the clock forward by `ms` (saturating at the supported range).
    pub fn advance_millis(&self, ms: i64) {
        let _ = self.0.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(v.saturating_add(ms).clamp(MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS)));
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The digits read straight give what chrono's `%Y-%m-%d` gives, for any shaped text
        /// (impossible days such as 02-30 and month 13 included), within the accepted years.
        #[test]
        fn dates_read_as_chrono_reads_them(y in 1900u32..10_000, m in 0u32..14, d in 0u32..33) {
            let s = format!("{y:04}-{m:02}-{d:02}");
            let chrono = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().filter(|d| (1970..=9999).contains(&d.year()));
            proptest::prop_assert_eq!(Date::parse(&s).ok().map(|d| d.0), chrono);
        }
    }

    #[test]
    fn rfc3339_digits_match_the_chrono_formats() {
        let mut x: u64 = 1;
        for i in 0..20_000i64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let ms = (x >> 16) as i64 % MAX_TIMESTAMP_MS;
            for v in [ms, ms - ms % 1000, ms - ms % 1000 + 7, i, MAX_TIMESTAMP_MS - i] {
                let Ok(t) = Timestamp::from_millis(v) else { continue };
                let dt = t.to_chrono();
                let expected = if v % 1000 == 0 { dt.format("%Y-%m-%dT%H:%M:%SZ").to_string() } else { dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string() };
                assert_eq!(t.to_rfc3339(), expected, "{v}");
            }
        }
    }

    #[test]
    fn rfc3339_in_any_offset_out_in_utc() {
        let t = Timestamp::parse("2022-08-12T22:44:48+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2022-08-12T20:44:48Z");
        let t = Timestamp::parse("2022-08-12T20:44:48.123Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2022-08-12T20:44:48.123Z");
        assert_eq!(Timestamp::parse(&t.to_rfc3339()).unwrap(), t);
        assert!(Timestamp::parse("2022-08-12 20:44:48").is_err());
        assert!(Timestamp::parse("1969-12-31T23:59:59Z").is_err());
        assert_eq!(Timestamp::parse_field("nope", "updatedAfter").unwrap_err().field(), Some("updatedAfter"));
    }

    #[test]
    fn dates_print_as_chrono_does() {
        for (y, m, d) in [(1970, 1, 1), (2022, 8, 12), (9999, 12, 31), (10_000, 1, 1), (999, 3, 4), (0, 1, 1), (-1, 12, 31)] {
            let date = Date::from_ymd(y, m, d).unwrap();
            assert_eq!(date.to_string(), date.0.format("%Y-%m-%d").to_string(), "{y}-{m}-{d}");
        }
        let mut day = Date::parse("1970-01-01").unwrap();
        for _ in 0..800 {
            assert_eq!(day.to_string(), day.0.format("%Y-%m-%d").to_string());
            day = day.add_days(53).unwrap();
        }
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(Date::parse("2022-08-12").unwrap().to_string(), "2022-08-12");
        // Found by the `parsers` fuzz target: chrono reads `%d` from a space- or newline-padded
        // number, so these parsed as 1970-01-01 and 2022-08-01.
        for bad in ["2022-8-12", "2022-02-30", "20220812", "2022-08-12T00:00:00Z", "", "1970-01-\n1", "2022-08- 1", "2022- 8-01", "+022-08-01"] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_day_ends_across_dst() {
        let ny: Tz = parse_zone("America/New_York", "timezone").unwrap();
        // Spring forward: 2026-03-08 is 23 hours long in New York.
        let d = Date::parse("2026-03-08").unwrap();
        assert_eq!(d.start_in(ny).to_rfc3339(), "2026-03-08T05:00:00Z");
        assert_eq!(d.last_millisecond_in(ny).to_rfc3339(), "2026-03-09T03:59:59.999Z");
        // Fall back: 2026-11-01 is 25 hours long.
        let d = Date::parse("2026-11-01").unwrap();
        assert_eq!(d.start_in(ny).to_rfc3339(), "2026-11-01T04:00:00Z");
        assert_eq!(d.last_millisecond_in(ny).to_rfc3339(), "2026-11-02T04:59:59.999Z");
    }

    #[test]
    fn midnight_skipped_by_dst_starts_at_first_valid_time() {
        // Santiago moved clocks from 00:00 to 01:00 on 2022-09-11.
        let scl: Tz = parse_zone("America/Santiago", "timezone").unwrap();
        let d = Date::parse("2022-09-11").unwrap();
        assert_eq!(d.start_in(scl).to_rfc3339(), "2022-09-11T04:00:00Z");
    }
}
