//! The facade of release: an entry, a day, the connector's answers, unrelease.

use super::Engine;
use crate::error::Result;
use crate::model::*;
use crate::ops::{release, Scope};
use crate::rules::ids::ObjectId;
use crate::rules::time::Date;

impl Engine {
    /// Releases an entry whose rules pass; a failing entry answers `ValidationFailed` with its
    /// rules.
    pub fn release_entry(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write_as(Some(scope), |cx| release::release(cx, scope, id))
    }

    /// Releases every editable entry of a day: all or nothing, or the ready subset.
    pub fn release_day(&self, scope: &Scope, work_date: Date, mode: ReleaseDayMode) -> Result<ReleaseDayResult> {
        self.write_as(Some(scope), |cx| release::release_day(cx, scope, work_date, mode))
    }

    /// The connector reports a successful release (a repeat with the same PMS id is a no-op).
    /// `user` narrows the scope when the route names the user.
    pub fn release_succeeded(
        &self,
        customer: &ObjectId,
        user: Option<&ObjectId>,
        id: &ObjectId,
        external_id: Option<&str>,
        re_release_failed_messages: Option<&[String]>,
    ) -> Result<Entry> {
        release::check_release_succeeded(external_id, re_release_failed_messages)?;
        self.write(|cx| release::release_succeeded(cx, "release-succeeded", customer, user, id, external_id, re_release_failed_messages))
    }

    /// Batch release-succeeded: one result per item, in input order; one bad item never fails
    /// the others (each item has its own savepoint).
    pub fn release_succeeded_batch(&self, customer: &ObjectId, items: &[ReleaseSucceededItem]) -> Result<Vec<BatchItemResult>> {
        self.write(|cx| release::release_succeeded_batch(cx, customer, items))
    }

    /// The connector reports a failed release with the PMS messages (at least one).
    pub fn release_failed(&self, customer: &ObjectId, user: Option<&ObjectId>, id: &ObjectId, errors: &[String]) -> Result<Entry> {
        self.write(|cx| release::release_failed(cx, customer, user, id, errors))
    }

    /// Takes a release back: unlocks and re-validates; keeps `externalId` and `releaseCount`.
    pub fn unrelease(&self, scope: &Scope, id: &ObjectId) -> Result<Entry> {
        self.write_as(Some(scope), |cx| release::unrelease(cx, scope, id))
    }
}
