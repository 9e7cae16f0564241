//! Keeping `overlapTimeInSeconds` current: an entry's overlap is the union of its closed
//! source intervals met by the user's other live entries' ([`crate::rules::overlap`]). The
//! stored neighbours come from one index-range query per interval
//! ([`crate::store::ReadTx::neighbours`]); a batch of creates reads them once and measures in
//! memory ([`Inserter`]).

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use super::Stats;
use crate::error::Result;
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::overlap::{overlap_millis, Interval};
use crate::rules::units;
use crate::store::{EntryKey, ReadTx, WriteTx};

/// The closed intervals of an entry's sources.
pub(crate) fn intervals(sources: &[Source]) -> Vec<Interval> {
    sources.iter().filter_map(|s| s.ended_at.map(|end| Interval { start: s.started_at.millis(), end: end.millis() })).filter(|iv| iv.end > iv.start).collect()
}

/// The stored neighbours of `iv`, counted in `stats`.
fn neighbours(tx: &mut dyn ReadTx, customer: &ObjectId, user: &ObjectId, iv: Interval, stats: &Stats) -> Result<Vec<(EntryKey, Interval)>> {
    let found = tx.neighbours(customer, user, iv)?;
    stats.overlap_rows_visited.fetch_add(u64::try_from(found.len()).unwrap_or(u64::MAX), Ordering::Relaxed);
    Ok(found)
}

/// Recomputes and stores the overlap of one entry from its stored sources; returns it, in
/// seconds.
fn update_overlap(tx: &mut dyn WriteTx, customer: &ObjectId, user: &ObjectId, key: EntryKey, stats: &Stats) -> Result<i64> {
    let mine = intervals(&tx.sources(customer, key)?);
    let mut others = Vec::new();
    for iv in &mine {
        for (other_key, other) in neighbours(tx, customer, user, *iv, stats)? {
            if other_key != key {
                others.push(other);
            }
        }
    }
    let seconds = units::millis_to_seconds(overlap_millis(&mine, &others));
    tx.set_overlap(customer, key, seconds)?;
    Ok(seconds)
}

/// Keeps overlap current after the intervals `touched` (old and new) of entry `changed`
/// changed: recomputes that entry and every entry with an interval meeting them. Returns the
/// new overlap of `changed`, in seconds.
pub(crate) fn refresh_overlap(
    tx: &mut dyn WriteTx,
    customer: &ObjectId,
    user: &ObjectId,
    changed: EntryKey,
    touched: &[Interval],
    stats: &Stats,
) -> Result<i64> {
    let mut affected = BTreeSet::from([changed]);
    for iv in touched {
        for (key, _) in neighbours(tx, customer, user, *iv, stats)? {
            affected.insert(key);
        }
    }
    let mut changed_overlap = 0;
    for key in affected {
        let seconds = update_overlap(tx, customer, user, key, stats)?;
        if key == changed {
            changed_overlap = seconds;
        }
    }
    Ok(changed_overlap)
}

/// Longest span of new intervals whose stored neighbours [`Inserter::prefetch`] reads at once
/// (a user's month of imports and a day on either side); longer spans are read entry by entry.
const PREFETCH_MAX_SPAN_MILLIS: i64 = 40 * 86_400_000;

/// The closed intervals of one user's live entries in some ranges: every stored one that meets
/// an interval inside a covered range, plus those a batch inserted since, as (start, end, key).
struct Known {
    customer: ObjectId,
    user: ObjectId,
    covered: Vec<Interval>,
    set: BTreeSet<(i64, i64, EntryKey)>,
}

impl Known {
    /// The neighbours of `iv` when its range is covered (the rows the neighbour query would
    /// answer).
    fn neighbours(&self, customer: &ObjectId, user: &ObjectId, iv: Interval) -> Option<Vec<(EntryKey, Interval)>> {
        if self.customer != *customer || self.user != *user || !self.covered.iter().any(|c| c.start <= iv.start && iv.end <= c.end) {
            return None;
        }
        let from = iv.start.saturating_sub(MAX_SOURCE_MILLIS).saturating_add(1);
        let lowest = EntryKey::from_raw(i64::MIN);
        Some(
            self.set
                .range((from, i64::MIN, lowest)..(iv.end, i64::MIN, lowest))
                .filter(|(_, end, _)| *end > iv.start)
                .map(|(start, end, key)| (*key, Interval { start: *start, end: *end }))
                .collect(),
        )
    }
}

/// Stores new entries, measuring their overlap as they go: the entries they meet are
/// refreshed once, in [`Inserter::finish`] (not after every insert: a batch of n entries over
/// one interval would cost n³ reads).
#[derive(Default)]
pub(crate) struct Inserter {
    stale: BTreeSet<(ObjectId, ObjectId, EntryKey)>,
    known: Option<Known>,
    /// The entries are copies the server of record holds (a device's pull): stored with no
    /// unsent change.
    synced: bool,
}

impl Inserter {
    /// An inserter of copies the server of record holds (a device's pulled entries).
    pub(crate) fn synced() -> Inserter {
        Inserter { synced: true, ..Inserter::default() }
    }

    /// Reads, once, the stored intervals of `user` that may meet any of the `new` intervals a
    /// batch is about to insert: one index range per cluster of new intervals (intervals closer
    /// than [`MAX_SOURCE_MILLIS`] share one), instead of one range per new interval. Inserts
    /// then measure overlap in memory, against these and the batch's own earlier entries.
    pub(crate) fn prefetch(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId, user: &ObjectId, new: &[Interval], stats: &Stats) -> Result<()> {
        let mut sorted: Vec<Interval> = new.iter().copied().filter(|iv| iv.end > iv.start).collect();
        sorted.sort_unstable();
        let mut clusters: Vec<Interval> = Vec::new();
        for iv in sorted {
            match clusters.last_mut() {
                Some(c) if iv.start < c.end.saturating_add(MAX_SOURCE_MILLIS) => c.end = c.end.max(iv.end),
                _ => clusters.push(iv),
            }
        }
        let mut known = Known { customer: *customer, user: *user, covered: Vec::new(), set: BTreeSet::new() };
        for c in clusters.into_iter().filter(|c| c.end - c.start <= PREFETCH_MAX_SPAN_MILLIS) {
            for (key, iv) in neighbours(tx, customer, user, c, stats)? {
                known.set.insert((iv.start, iv.end, key));
            }
            known.covered.push(c);
        }
        self.known = Some(known);
        Ok(())
    }

    /// Stores a new, settled entry with its codes and sources; returns its key. Its overlap is
    /// measured against the neighbours read before its own sources exist; the entries it meets
    /// are refreshed by [`Inserter::finish`].
    pub(crate) fn insert_new(&mut self, tx: &mut dyn WriteTx, e: &mut Entry, create_request: Option<&str>, stats: &Stats) -> Result<EntryKey> {
        let mine = intervals(&e.sources);
        let mut affected = BTreeSet::new();
        let mut others = Vec::new();
        for iv in &mine {
            let found = match self.known.as_ref().and_then(|k| k.neighbours(&e.customer_id, &e.user_id, *iv)) {
                Some(found) => found,
                None => neighbours(tx, &e.customer_id, &e.user_id, *iv, stats)?,
            };
            for (key, other) in found {
                affected.insert(key);
                others.push(other);
            }
        }
        e.overlap_time_in_seconds = units::millis_to_seconds(overlap_millis(&mine, &others));
        let key = match self.synced {
            true => tx.insert_synced_entry(e)?,
            false => tx.insert_entry(e, create_request)?,
        };
        if let Some(k) = self.known.as_mut().filter(|k| k.customer == e.customer_id && k.user == e.user_id) {
            k.set.extend(mine.iter().map(|iv| (iv.start, iv.end, key)));
        }
        for other in affected {
            self.stale.insert((e.customer_id, e.user_id, other));
        }
        Ok(key)
    }

    /// Refreshes the overlap of every entry the inserted ones met, once each. Must be called
    /// before the transaction commits.
    pub(crate) fn finish(&mut self, tx: &mut dyn WriteTx, stats: &Stats) -> Result<()> {
        for (customer, user, key) in std::mem::take(&mut self.stale) {
            update_overlap(tx, &customer, &user, key, stats)?;
        }
        Ok(())
    }
}
