//! Overlap (domain.md §4.5) as pure interval math: the length of the union of the intersections
//! of one entry's source intervals with the intervals of the same user's other entries. The
//! store finds the neighbouring intervals through an index; this module only measures.

/// A closed source interval in epoch milliseconds, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// Start (inclusive), ms.
    pub start: i64,
    /// End (exclusive), ms.
    pub end: i64,
}

/// Total length of the union of `intervals`, in ms. Sorts its input.
pub fn union_length(intervals: &mut [Interval]) -> i64 {
    intervals.sort_unstable();
    let mut total: i64 = 0;
    let mut current: Option<Interval> = None;
    for iv in intervals.iter().filter(|iv| iv.end > iv.start) {
        match current.as_mut() {
            Some(cur) if iv.start <= cur.end => cur.end = cur.end.max(iv.end),
            _ => {
                if let Some(cur) = current.take() {
                    total = total.saturating_add(cur.end - cur.start);
                }
                current = Some(*iv);
            }
        }
    }
    if let Some(cur) = current {
        total = total.saturating_add(cur.end - cur.start);
    }
    total
}

/// Overlap of `mine` with `others`, in ms: |⋃ (a ∩ b) for a in mine, b in others|.
pub fn overlap_millis(mine: &[Interval], others: &[Interval]) -> i64 {
    let mut pieces = Vec::new();
    for a in mine {
        for b in others {
            let start = a.start.max(b.start);
            let end = a.end.min(b.end);
            if end > start {
                pieces.push(Interval { start, end });
            }
        }
    }
    union_length(&mut pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iv(start: i64, end: i64) -> Interval {
        Interval { start, end }
    }

    #[test]
    fn measures_union_of_intersections() {
        // Mine: 0-10 and 20-30. Others: 5-25 (touches both) and 8-22 (inside the first).
        assert_eq!(overlap_millis(&[iv(0, 10), iv(20, 30)], &[iv(5, 25), iv(8, 22)]), 10);
        assert_eq!(overlap_millis(&[iv(0, 10)], &[iv(10, 20)]), 0, "touching is not overlapping");
        assert_eq!(overlap_millis(&[iv(0, 10)], &[]), 0);
        assert_eq!(overlap_millis(&[iv(0, 100)], &[iv(10, 20), iv(15, 30), iv(50, 60)]), 30);
    }

    proptest! {
        #[test]
        fn matches_a_millisecond_count(mine in proptest::collection::vec((0i64..200, 1i64..50), 0..5), others in proptest::collection::vec((0i64..200, 1i64..50), 0..5)) {
            let mine: Vec<Interval> = mine.into_iter().map(|(s, l)| iv(s, s + l)).collect();
            let others: Vec<Interval> = others.into_iter().map(|(s, l)| iv(s, s + l)).collect();
            let brute = (0..300).filter(|t| mine.iter().any(|a| a.start <= *t && *t < a.end) && others.iter().any(|b| b.start <= *t && *t < b.end)).count() as i64;
            prop_assert_eq!(overlap_millis(&mine, &others), brute);
            // Symmetric.
            prop_assert_eq!(overlap_millis(&others, &mine), brute);
        }
    }
}
