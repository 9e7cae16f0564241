//! Unit-increment math (domain.md §4.1): how raw seconds become billed units. Pure functions
//! over integers with checked arithmetic; no float ever takes part.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TenthsError};

/// The most seconds one unit may last (a day).
pub const MAX_UNIT_INCREMENT_SECONDS: i64 = 86_400;
/// The most raw or billed seconds an entry may have and still be released.
pub const MAX_RELEASABLE_SECONDS: i64 = 86_400;
/// Bound on `unitIncrementCountAdjustments` (±), far beyond any real override.
pub const MAX_ADJUSTMENT_UNITS: i64 = 100_000;
/// Bound on `timerDurationAdjustmentInSeconds` (±): a week.
/// Longest manual duration accepted at creation (a week; release needs at most 24 hours).
pub const MAX_ENTERED_DURATION_SECONDS: i64 = 604_800;
/// Largest timer adjustment, in seconds (a week either way).
pub const MAX_TIMER_ADJUSTMENT_SECONDS: i64 = 604_800;

/// How raw time is rounded to whole units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Ceiling: any started unit is billed.
    Up,
    /// Half up: a unit is billed from its midpoint on.
    Nearest,
    /// Floor.
    Down,
}

impl Rounding {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Up => "up",
            Rounding::Nearest => "nearest",
            Rounding::Down => "down",
        }
    }
    /// Parses a wire name.
    pub fn parse_field(s: &str, field: &str) -> Result<Rounding> {
        match s {
            "up" => Ok(Rounding::Up),
            "nearest" => Ok(Rounding::Nearest),
            "down" => Ok(Rounding::Down),
            _ => Err(TenthsError::invalid(field, "expected one of up, nearest, down")),
        }
    }
}

/// The rounding policy of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitPolicy {
    /// Rounding mode.
    pub rounding: Rounding,
    /// Bill at least one unit for any positive raw time.
    pub minimum_one_unit: bool,
}

/// Checks a unit increment (seconds per unit): 1..=86,400.
pub fn check_increment(inc: i64, field: &str) -> Result<()> {
    if !(1..=MAX_UNIT_INCREMENT_SECONDS).contains(&inc) {
        return Err(TenthsError::invalid(field, format!("must be between 1 and {MAX_UNIT_INCREMENT_SECONDS} seconds")));
    }
    Ok(())
}

/// `fromSources`: rounds raw seconds to whole units once, with the minimum-one-unit rule.
/// Negative raw time counts as zero (raw time never goes below 0).
pub fn units_from_raw(raw_seconds: i64, inc: i64, policy: UnitPolicy) -> Result<i64> {
    check_increment(inc, "unitIncrements")?;
    let raw = raw_seconds.max(0);
    let units = match policy.rounding {
        Rounding::Down => raw / inc,
        Rounding::Up => {
            let q = raw / inc;
            if raw % inc == 0 {
                q
            } else {
                q.checked_add(1).ok_or_else(|| TenthsError::overflow("rawSeconds"))?
            }
        }
        Rounding::Nearest => {
            // floor(raw / inc + 1/2) = floor((2·raw + inc) / (2·inc))
            let num = raw.checked_mul(2).and_then(|v| v.checked_add(inc)).ok_or_else(|| TenthsError::overflow("rawSeconds"))?;
            let den = inc.checked_mul(2).ok_or_else(|| TenthsError::overflow("unitIncrements"))?;
            num / den
        }
    };
    if policy.minimum_one_unit && raw > 0 && units == 0 {
        return Ok(1);
    }
    Ok(units)
}

/// Raw seconds of an entry: the summed source time plus the timer adjustment, never below 0.
pub fn raw_seconds(source_seconds: i64, timer_adjustment_seconds: i64) -> Result<i64> {
    source_seconds.checked_add(timer_adjustment_seconds).map(|v| v.max(0)).ok_or_else(|| TenthsError::overflow("timerDurationAdjustmentInSeconds"))
}

/// Milliseconds of measured source time → whole seconds, half up.
pub fn millis_to_seconds(ms: i64) -> i64 {
    let ms = ms.max(0);
    ms / 1000 + i64::from(ms % 1000 >= 500)
}

/// The units of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryUnits {
    /// Seconds per unit used.
    pub increment_seconds: i64,
    /// Raw seconds (sources + timer adjustment, or the entered duration).
    pub raw_seconds: i64,
    /// `unitIncrementCountFromSources`.
    pub from_sources: i64,
    /// `unitIncrementCountAdjustments` (signed, set by override).
    pub adjustments: i64,
    /// `unitIncrementCount` = from_sources + adjustments.
    pub count: i64,
    /// `incrementDurationInSeconds` = count × increment.
    pub billed_seconds: i64,
}

/// Computes every unit figure of an entry from its raw seconds, increment and adjustment.
pub fn compute(raw_seconds: i64, inc: i64, adjustments: i64, policy: UnitPolicy) -> Result<EntryUnits> {
    if !(-MAX_ADJUSTMENT_UNITS..=MAX_ADJUSTMENT_UNITS).contains(&adjustments) {
        return Err(TenthsError::invalid("unitIncrementCountAdjustments", format!("must be between -{MAX_ADJUSTMENT_UNITS} and {MAX_ADJUSTMENT_UNITS}")));
    }
    let from_sources = units_from_raw(raw_seconds, inc, policy)?;
    let count = from_sources.checked_add(adjustments).ok_or_else(|| TenthsError::overflow("unitIncrementCountAdjustments"))?;
    let billed_seconds = count.checked_mul(inc).ok_or_else(|| TenthsError::overflow("unitIncrementCountAdjustments"))?;
    Ok(EntryUnits { increment_seconds: inc, raw_seconds: raw_seconds.max(0), from_sources, adjustments, count, billed_seconds })
}

/// Hours of billed time as a decimal string with up to 4 decimals (display and export only).
pub fn hours_string(billed_seconds: i64) -> String {
    // Ten-thousandths of an hour, half away from zero, in integers.
    let negative = billed_seconds < 0;
    let s = i128::from(billed_seconds).abs();
    let tenk = (s * 10_000 + 1_800) / 3_600;
    let whole = tenk / 10_000;
    let frac = tenk % 10_000;
    let mut out = if frac == 0 { whole.to_string() } else { format!("{whole}.{frac:04}").trim_end_matches('0').to_string() };
    if negative && tenk != 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UP: UnitPolicy = UnitPolicy { rounding: Rounding::Up, minimum_one_unit: true };
    const NEAREST: UnitPolicy = UnitPolicy { rounding: Rounding::Nearest, minimum_one_unit: true };
    const DOWN: UnitPolicy = UnitPolicy { rounding: Rounding::Down, minimum_one_unit: true };

    fn policy(rounding: Rounding, minimum_one_unit: bool) -> UnitPolicy {
        UnitPolicy { rounding, minimum_one_unit }
    }

    // Every worked example of domain.md §4.1.
    #[test]
    fn worked_examples() {
        assert_eq!(units_from_raw(420, 360, UP).unwrap(), 2);
        assert_eq!(units_from_raw(120, 360, UP).unwrap(), 1);
        assert_eq!(units_from_raw(0, 360, UP).unwrap(), 0);
        assert_eq!(units_from_raw(1_080 - 60, 360, UP).unwrap(), 3);
        assert_eq!(units_from_raw(960, 900, UP).unwrap(), 2);
        assert_eq!(units_from_raw(295, 36, UP).unwrap(), 9);
        assert_eq!(units_from_raw(420, 360, NEAREST).unwrap(), 1);
        assert_eq!(units_from_raw(180, 360, NEAREST).unwrap(), 1);
        assert_eq!(units_from_raw(120, 360, policy(Rounding::Nearest, false)).unwrap(), 0);
        assert_eq!(units_from_raw(120, 360, NEAREST).unwrap(), 1);
    }

    #[test]
    fn rounds_once_on_the_sum_not_per_source() {
        let per_source: i64 = [55, 180, 60].iter().map(|s| units_from_raw(*s, 360, UP).unwrap()).sum();
        assert_eq!(per_source, 3);
        assert_eq!(units_from_raw(55 + 180 + 60, 360, UP).unwrap(), 1);
    }

    #[test]
    fn down_and_minimum_one() {
        assert_eq!(units_from_raw(359, 360, policy(Rounding::Down, false)).unwrap(), 0);
        assert_eq!(units_from_raw(359, 360, DOWN).unwrap(), 1);
        assert_eq!(units_from_raw(720, 360, DOWN).unwrap(), 2);
    }

    #[test]
    fn compute_adds_adjustment_and_bills() {
        let u = compute(420, 360, -1, UP).unwrap();
        assert_eq!((u.from_sources, u.count, u.billed_seconds), (2, 1, 360));
        let u = compute(0, 360, -2, UP).unwrap();
        assert_eq!((u.count, u.billed_seconds), (-2, -720));
    }

    #[test]
    fn bad_input_is_refused_with_the_field() {
        assert_eq!(units_from_raw(10, 0, UP).unwrap_err().field(), Some("unitIncrements"));
        assert_eq!(units_from_raw(10, 86_401, UP).unwrap_err().field(), Some("unitIncrements"));
        assert_eq!(compute(10, 360, 100_001, UP).unwrap_err().field(), Some("unitIncrementCountAdjustments"));
        assert!(units_from_raw(i64::MAX, 1, UP).is_ok());
        assert!(units_from_raw(i64::MAX, 7, NEAREST).is_err());
        assert!(raw_seconds(i64::MAX, 1).is_err());
        assert_eq!(raw_seconds(100, -500).unwrap(), 0);
    }

    #[test]
    fn hours_are_exact_decimals() {
        assert_eq!(hours_string(360), "0.1");
        assert_eq!(hours_string(36), "0.01");
        assert_eq!(hours_string(900), "0.25");
        assert_eq!(hours_string(7_200), "2");
        assert_eq!(hours_string(-720), "-0.2");
        assert_eq!(hours_string(1), "0.0003");
    }

    #[test]
    fn millis_round_half_up() {
        assert_eq!(millis_to_seconds(7_199_999), 7_200);
        assert_eq!(millis_to_seconds(1_499), 1);
        assert_eq!(millis_to_seconds(-5), 0);
    }

    fn any_rounding() -> impl Strategy<Value = Rounding> {
        prop_oneof![Just(Rounding::Up), Just(Rounding::Nearest), Just(Rounding::Down)]
    }

    proptest! {
        #[test]
        fn monotone_in_raw_seconds(a in 0i64..200_000, b in 0i64..200_000, inc in 1i64..=86_400, r in any_rounding(), min1 in any::<bool>()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let p = policy(r, min1);
            prop_assert!(units_from_raw(lo, inc, p).unwrap() <= units_from_raw(hi, inc, p).unwrap());
        }

        #[test]
        fn up_at_least_nearest_at_least_down(raw in 0i64..1_000_000, inc in 1i64..=86_400, min1 in any::<bool>()) {
            let up = units_from_raw(raw, inc, policy(Rounding::Up, min1)).unwrap();
            let near = units_from_raw(raw, inc, policy(Rounding::Nearest, min1)).unwrap();
            let down = units_from_raw(raw, inc, policy(Rounding::Down, min1)).unwrap();
            prop_assert!(up >= near && near >= down);
        }

        #[test]
        fn unadjusted_count_is_within_one_increment(raw in 0i64..1_000_000, inc in 1i64..=86_400, r in any_rounding(), min1 in any::<bool>()) {
            let count = units_from_raw(raw, inc, policy(r, min1)).unwrap();
            prop_assert!((count * inc - raw).abs() < inc);
        }

        #[test]
        fn matches_the_formula(raw in 0i64..1_000_000, inc in 1i64..=86_400, r in any_rounding(), min1 in any::<bool>()) {
            let exact = raw as f64 / inc as f64;
            let mut expected = match r {
                Rounding::Up => exact.ceil() as i64,
                Rounding::Down => exact.floor() as i64,
                Rounding::Nearest => {
                    // Half up, decided in integers to avoid float ties.
                    if (raw % inc) * 2 >= inc { raw / inc + 1 } else { raw / inc }
                }
            };
            if min1 && raw > 0 && expected == 0 { expected = 1; }
            prop_assert_eq!(units_from_raw(raw, inc, policy(r, min1)).unwrap(), expected);
        }

        #[test]
        fn sources_are_summed_then_rounded_once(sources in proptest::collection::vec(0i64..20_000, 0..12), inc in 1i64..=3_600, r in any_rounding()) {
            let total: i64 = sources.iter().sum();
            let once = units_from_raw(total, inc, policy(r, true)).unwrap();
            // Rounding once is never more than one unit away from the exact quotient, however
            // many sources there are; rounding each source up can be off by one per source.
            prop_assert!((once * inc - total).abs() < inc);
            let per_source: i64 = sources.iter().map(|s| units_from_raw(*s, inc, policy(Rounding::Up, true)).unwrap()).sum();
            prop_assert!(units_from_raw(total, inc, policy(Rounding::Up, true)).unwrap() <= per_source);
        }

        #[test]
        fn changing_increment_recomputes_and_keeps_adjustment(raw in 0i64..86_400, inc1 in 1i64..=3_600, inc2 in 1i64..=3_600, adj in -50i64..50, r in any_rounding()) {
            let p = policy(r, true);
            let before = compute(raw, inc1, adj, p).unwrap();
            let after = compute(before.raw_seconds, inc2, before.adjustments, p).unwrap();
            prop_assert_eq!(after.adjustments, adj);
            prop_assert_eq!(after.from_sources, units_from_raw(raw, inc2, p).unwrap());
            prop_assert_eq!(after.count, after.from_sources + adj);
            prop_assert_eq!(after.billed_seconds, after.count * inc2);
        }
    }
}
