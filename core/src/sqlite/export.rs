//! The export window on SQLite: its id bounds, read through the release-time index, and its
//! pages by id, walked on `entries_export` (schema v9: the live, released entries by customer
//! and id, carrying the release time). A page tests each candidate's release time from that
//! index and reads the rows of its own entries only, so the walk past the window's last id
//! (the last page of a window whose largest id the cursor does not carry) reads no rows. The
//! export rows read only the columns the export shows.

use rusqlite::{params, Connection, Row};

use super::entries::{bad, each_code, keyed, ts, FILL_CHUNK};
use crate::error::Result;
use crate::model::ExportRow;
use crate::rules::ids::ObjectId;
use crate::rules::time::{Date, Timestamp};

/// The page of the export window after `?4` (at most `?5`), inside the window `?2..=?3` and the
/// id bounds `?6..=?7`, by id: what follows the columns of a page statement. Named, so a plan
/// never walks the customer's rows in id order instead.
pub(super) const RELEASED_PAGE: &str = "FROM entries INDEXED BY entries_export WHERE customer_id = ?1 AND last_release_pending_at > ?2
       AND last_release_pending_at <= ?3 AND id > ?4 AND id >= ?6 AND id <= ?7 AND is_deleted = 0 AND status IN ('release-pending', 'release-succeeded')
     ORDER BY id LIMIT ?5";

/// The columns of an export row, in the order [`export_row`] reads them.
const EXPORT_COLUMNS: &str = "pk, id, user_id, work_date, summary, units_from_sources, units_adjustments, unit_increments, initiative_id, external_id, \
     notes, release_count, last_synced_at";

fn export_row(customer: &ObjectId, r: &Row<'_>) -> rusqlite::Result<(i64, ExportRow)> {
    let work_date = Date::parse(r.get_ref(3)?.as_str()?).map_err(|e| bad(3, e))?;
    Ok((
        r.get(0)?,
        ExportRow {
            id: r.get(1)?,
            customer_id: *customer,
            user_id: r.get(2)?,
            work_date,
            summary: r.get(4)?,
            unit_increment_count_from_sources: r.get(5)?,
            unit_increment_count_adjustments: r.get(6)?,
            unit_increments: r.get(7)?,
            initiative_id: r.get(8)?,
            initiative: None,
            codes: Vec::new(),
            external_id: r.get(9)?,
            notes: r.get(10)?,
            release_count: r.get(11)?,
            last_synced_at: ts(r.get(12)?)?,
        },
    ))
}

/// A page of the export window as export rows (codes filled when `codes`; matters left empty).
pub(super) fn rows(
    c: &Connection,
    customer: &ObjectId,
    (after, on_or_before): (Timestamp, Timestamp),
    (low, high): (&ObjectId, &ObjectId),
    after_id: Option<&ObjectId>,
    limit: usize,
    codes: bool,
) -> Result<Vec<ExportRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let after_id = after_id.map(ObjectId::as_str).unwrap_or("");
    let sql = format!("SELECT {EXPORT_COLUMNS} {RELEASED_PAGE}");
    let mut stmt = c.prepare_cached(&sql)?;
    let p = params![customer, after.millis(), on_or_before.millis(), after_id, limit, low, high];
    let mut rows: Vec<(i64, ExportRow)> = stmt.query_map(p, |r| export_row(customer, r))?.collect::<rusqlite::Result<_>>()?;
    if codes {
        for chunk in rows.chunks_mut(FILL_CHUNK) {
            let (keys, at) = keyed(chunk.iter().map(|(pk, _)| *pk));
            each_code(c, customer, &keys, |pk, code| {
                if let Some((_, e)) = at.get(&pk).and_then(|i| chunk.get_mut(*i)) {
                    e.codes.push(code);
                }
            })?;
        }
    }
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// The smallest and largest id of the export window, read through the release-time index: the
/// pages by id then walk only the window's id range, not the customer's.
pub(super) fn export_bounds(c: &Connection, customer: &ObjectId, after: Timestamp, on_or_before: Timestamp) -> Result<Option<(ObjectId, ObjectId)>> {
    let row: (Option<ObjectId>, Option<ObjectId>) = c
        .prepare_cached(
            "SELECT min(id), max(id) FROM entries INDEXED BY entries_by_release WHERE customer_id = ?1 AND last_release_pending_at > ?2
               AND last_release_pending_at <= ?3 AND is_deleted = 0 AND status IN ('release-pending', 'release-succeeded')",
        )?
        .query_row(params![customer, after.millis(), on_or_before.millis()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(match row {
        (Some(low), Some(high)) => Some((low, high)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::{EXPORT_COLUMNS, RELEASED_PAGE};

    fn plan(sql: &str) -> Vec<String> {
        let c = super::super::open_memory(&super::super::OpenOptions::default()).unwrap();
        let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = st.query_map(params!["c", 0, 1, "", 100, "", "z"], |r| r.get::<_, String>(3)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    /// Both page statements (complete entries and export rows) walk `entries_export` from the
    /// cursor in id order: no sort, no walk of the customer's rows, and the partial index's
    /// condition is implied by the statement (else SQLite refuses the INDEXED BY).
    #[test]
    fn export_pages_are_planned_on_the_export_index() {
        for sql in [format!("SELECT {EXPORT_COLUMNS} {RELEASED_PAGE}"), format!("SELECT pk, summary, created_at {RELEASED_PAGE}")] {
            let p = plan(&sql);
            assert_eq!(p.len(), 1, "{p:?}");
            assert!(p[0].contains("USING INDEX entries_export (customer_id=? AND id>? AND id<?)"), "{p:?}");
        }
    }

    /// The walk itself (what the last page of a window does past the window's largest id, up to
    /// the customer's last exportable id) reads the index alone: in each page statement the
    /// release time and the id bounds are tested on the index's columns, and the table's row is
    /// read (a deferred seek) only after every test passed, for an entry of the page.
    #[test]
    fn the_walk_past_the_window_reads_no_row() {
        let c = super::super::open_memory(&super::super::OpenOptions::default()).unwrap();
        let root: i64 = c.query_row("SELECT rootpage FROM sqlite_schema WHERE name = 'entries'", [], |r| r.get(0)).unwrap();
        for sql in [format!("SELECT {EXPORT_COLUMNS} {RELEASED_PAGE}"), format!("SELECT id, summary {RELEASED_PAGE}"), format!("SELECT id {RELEASED_PAGE}")] {
            let mut st = c.prepare(&format!("EXPLAIN {sql}")).unwrap();
            let program: Vec<(String, i64, i64)> =
                st.query_map(params!["c", 0, 1, "", 100, "", "z"], |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(|r| r.unwrap()).collect();
            let table = program.iter().find(|(op, _, p2)| op == "OpenRead" && *p2 == root).map(|(_, p1, _)| *p1);
            assert!(table.is_some(), "{program:?}");
            let reads = |(op, p1, _): &(String, i64, i64)| Some(*p1) == table && ["Column", "Rowid", "SeekRowid", "NotExists"].contains(&op.as_str());
            let tests = |(op, _, _): &(String, i64, i64)| ["Le", "Lt", "Ge", "Gt"].contains(&op.as_str());
            let first_read = program.iter().position(reads).unwrap_or(program.len());
            let last_test = program.iter().rposition(tests).unwrap_or(0);
            assert!(last_test > 0 && first_read > last_test, "{sql}: {program:?}");
        }
    }
}
