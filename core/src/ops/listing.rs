//! Listing: the v1 windows (every entry updated in a window; the export of entries released in
//! it), their v2 pages by id with a cursor, the CSV export written page by page, and totals.
//! Windows are half-open (`after` exclusive, `onOrBefore` inclusive).

use std::collections::HashMap;
use std::sync::Arc;

use super::{Rx, Window};
use crate::error::{Result, TenthsError};
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::time::Date;
use crate::store::{Detail, Listing, PageOf};
use crate::wire;

pub(super) fn check_page_size(n: usize) -> Result<()> {
    if !(1..=MAX_PAGE_SIZE).contains(&n) {
        return Err(TenthsError::invalid("pageSize", format!("must be between 1 and {MAX_PAGE_SIZE}")));
    }
    Ok(())
}

/// A page of `page_size` from `page_size + 1` entries read (the cursor: the last entry's id).
pub(super) fn page_of(items: Vec<Entry>, page_size: usize) -> Page<Entry> {
    super::page_by_id(items, page_size, |e| e.id)
}

/// Every entry of the customer updated in the window (v1; deleted ones included), by update
/// time then id.
pub(crate) fn list_updated(rx: &mut Rx<'_>, customer: &ObjectId, window: Window) -> Result<Vec<Entry>> {
    let mut rows = rx.tx.list(customer, Listing::Updated { after: window.after, on_or_before: window.on_or_before })?;
    rx.refs.fill_matters(rx.tx, rows.iter_mut().map(|(_, e)| e))?;
    Ok(rows.into_iter().map(|(_, e)| e).collect())
}

/// One page of entries updated in the window (v2), by id after `cursor`.
pub(crate) fn list_updated_page(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
    check_page_size(page_size)?;
    let of = PageOf::Updated { after: window.after, on_or_before: window.on_or_before };
    let mut items = rx.tx.page(customer, of, cursor, page_size.saturating_add(1), Detail::Full)?;
    rx.refs.fill_matters(rx.tx, items.iter_mut())?;
    Ok(page_of(items, page_size))
}

/// Every entry released in the window and still released (v1 export).
pub(crate) fn export_released(rx: &mut Rx<'_>, customer: &ObjectId, window: Window) -> Result<Vec<Entry>> {
    let mut rows = rx.tx.list(customer, Listing::Released { after: window.after, on_or_before: window.on_or_before })?;
    rx.refs.fill_matters(rx.tx, rows.iter_mut().map(|(_, e)| e))?;
    Ok(rows.into_iter().map(|(_, e)| e).collect())
}

/// Greater than every id (ids are lower-case hexadecimal): the upper bound of pages after the
/// first, which know their place from the cursor.
fn id_ceiling() -> ObjectId {
    ObjectId::MAX
}

/// What a page of the export window reads (`None`: the window is empty). The first page starts
/// at the window's smallest id and stops at its largest; a later page knows only its cursor (a
/// bare id, domain.md §5), so it stops at the customer's last exportable id: that walk reads the
/// `entries_export` index alone (decision 110).
fn released_page_of(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, cursor: Option<&ObjectId>) -> Result<Option<PageOf>> {
    let (low, high) = match cursor {
        Some(_) => (ObjectId::MIN, id_ceiling()),
        None => match rx.tx.export_bounds(customer, window.after, window.on_or_before)? {
            Some(b) => b,
            None => return Ok(None),
        },
    };
    Ok(Some(PageOf::Released { after: window.after, on_or_before: window.on_or_before, low, high }))
}

/// One page of the export window (v2), by id after `cursor`. The first page starts at the
/// window's smallest id (not at the customer's first), and every page stops at its largest.
pub(crate) fn export_released_page(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
    check_page_size(page_size)?;
    let Some(of) = released_page_of(rx, customer, window, cursor)? else { return Ok(Page { items: Vec::new(), next_cursor: None }) };
    let mut items = rx.tx.page(customer, of, cursor, page_size.saturating_add(1), Detail::Full)?;
    rx.refs.fill_matters(rx.tx, items.iter_mut())?;
    Ok(page_of(items, page_size))
}

/// The page [`export_released_page`] answers, as export rows (no codes): the same entries and
/// cursor, read without what the export item does not show (decision 111).
pub(crate) fn export_page(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<ExportRow>> {
    check_page_size(page_size)?;
    let Some(of) = released_page_of(rx, customer, window, cursor)? else { return Ok(Page { items: Vec::new(), next_cursor: None }) };
    let mut items = rx.tx.export_rows(customer, of, cursor, page_size.saturating_add(1), false)?;
    fill_export_matters(rx, customer, &mut items, &mut HashMap::new())?;
    Ok(super::page_by_id(items, page_size, |r| r.id))
}

/// Fills the matters of export rows from the reference cache: each matter is looked up once per
/// `shared` (one export) and shared by its rows.
fn fill_export_matters(rx: &mut Rx<'_>, customer: &ObjectId, rows: &mut [ExportRow], shared: &mut HashMap<ObjectId, Option<Arc<InitiativeRef>>>) -> Result<()> {
    // A page repeats a few matters row after row: each one asked for once.
    let mut missing: Vec<ObjectId> = rows.iter().filter_map(|r| r.initiative_id).filter(|id| !shared.contains_key(id)).collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    rx.refs.preload_initiative_refs(rx.tx, customer, &missing)?;
    for id in missing {
        let found = rx.refs.initiative_ref(rx.tx, customer, &id)?.map(Arc::new);
        shared.insert(id, found);
    }
    for r in rows.iter_mut() {
        r.initiative = r.initiative_id.and_then(|id| shared.get(&id).cloned().flatten());
    }
    Ok(())
}

/// The export window as CSV (header row, one row per entry, RFC 4180), written page by page so
/// memory stays flat however large the window; the whole window is read in one snapshot, and
/// each matter once for the whole export.
pub(crate) fn export_csv(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, out: &mut dyn std::io::Write) -> Result<u64> {
    let io = |e: std::io::Error| TenthsError::Storage { reason: format!("cannot write the export: {e}") };
    out.write_all(wire::csv_header().as_bytes()).map_err(io)?;
    let Some(of) = released_page_of(rx, customer, window, None)? else { return Ok(0) };
    let mut cursor: Option<ObjectId> = None;
    let mut rows = 0u64;
    let mut buf = String::new();
    let mut matters = HashMap::new();
    loop {
        let mut page = rx.tx.export_rows(customer, of, cursor.as_ref(), MAX_PAGE_SIZE, true)?;
        fill_export_matters(rx, customer, &mut page, &mut matters)?;
        buf.clear();
        for e in &page {
            wire::push_export_csv_row(&mut buf, e);
            rows += 1;
        }
        out.write_all(buf.as_bytes()).map_err(io)?;
        match page.last() {
            Some(e) if page.len() == MAX_PAGE_SIZE => cursor = Some(e.id),
            _ => break,
        }
    }
    Ok(rows)
}

/// Totals per user, work date and matter of live entries with a work date in `from..=to`, for
/// one user or (with `None`) every user of the customer.
pub(crate) fn totals(rx: &mut Rx<'_>, customer: &ObjectId, user: Option<&ObjectId>, from: Date, to: Date) -> Result<Vec<Total>> {
    if to < from {
        return Err(TenthsError::invalid("workDateTo", "is before workDateFrom"));
    }
    rx.tx.totals(customer, user, from, to)
}
