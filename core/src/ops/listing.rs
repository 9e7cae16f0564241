//! Listing: the v1 windows (every entry updated in a window; the export of entries released in
//! it), their v2 pages by id with a cursor, the CSV export written page by page, and totals.
//! Windows are half-open (`after` exclusive, `onOrBefore` inclusive).

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

/// One page of the export window (v2), by id after `cursor`. The first page starts at the
/// window's smallest id (not at the customer's first), and every page stops at its largest.
pub(crate) fn export_released_page(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, page_size: usize, cursor: Option<&ObjectId>) -> Result<Page<Entry>> {
    check_page_size(page_size)?;
    let (low, high) = match cursor {
        Some(_) => (ObjectId::MIN, id_ceiling()),
        None => match rx.tx.export_bounds(customer, window.after, window.on_or_before)? {
            Some(b) => b,
            None => return Ok(Page { items: Vec::new(), next_cursor: None }),
        },
    };
    let of = PageOf::Released { after: window.after, on_or_before: window.on_or_before, low, high };
    let mut items = rx.tx.page(customer, of, cursor, page_size.saturating_add(1), Detail::Full)?;
    rx.refs.fill_matters(rx.tx, items.iter_mut())?;
    Ok(page_of(items, page_size))
}

/// The export window as CSV (header row, one row per entry, RFC 4180), written page by page so
/// memory stays flat however large the window; the whole window is read in one snapshot, and
/// each matter once for the whole export.
pub(crate) fn export_csv(rx: &mut Rx<'_>, customer: &ObjectId, window: Window, out: &mut dyn std::io::Write) -> Result<u64> {
    let io = |e: std::io::Error| TenthsError::Storage { reason: format!("cannot write the export: {e}") };
    out.write_all(wire::csv_header().as_bytes()).map_err(io)?;
    let Some((low, high)) = rx.tx.export_bounds(customer, window.after, window.on_or_before)? else { return Ok(0) };
    let of = PageOf::Released { after: window.after, on_or_before: window.on_or_before, low, high };
    let mut cursor: Option<ObjectId> = None;
    let mut rows = 0u64;
    let mut buf = String::new();
    loop {
        let mut page = rx.tx.page(customer, of, cursor.as_ref(), MAX_PAGE_SIZE, Detail::WithoutSources)?;
        rx.refs.fill_matters(rx.tx, page.iter_mut())?;
        buf.clear();
        for e in &page {
            wire::push_csv_row(&mut buf, e);
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
