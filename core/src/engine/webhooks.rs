//! The facade of webhooks: subscriptions, their deliveries, redelivery, and the three steps of
//! the delivery worker (`tenths serve` runs the worker; it posts over HTTP itself).

use super::Engine;
use crate::error::Result;
use crate::model::webhooks::*;
use crate::ops::webhooks;
use crate::rules::ids::ObjectId;
use crate::rules::webhooks::{AllowedHosts, RetryPolicy};

impl Engine {
    /// Sets the hosts a webhook may target although their addresses are forbidden (loopback,
    /// private ranges; `tenths serve --webhook-allow-host`). None by default.
    pub fn set_webhook_allowed_hosts(&self, hosts: AllowedHosts) {
        *self.webhook_hosts.write().unwrap_or_else(|p| p.into_inner()) = hosts;
    }

    /// The hosts allowed by [`Engine::set_webhook_allowed_hosts`].
    pub fn webhook_allowed_hosts(&self) -> AllowedHosts {
        self.webhook_hosts.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Subscribes to events of the customer; the answer holds the secret (shown only here).
    pub fn create_webhook(&self, customer: &ObjectId, input: &NewSubscription) -> Result<Subscription> {
        let kinds = webhooks::check_new(input, &self.webhook_allowed_hosts())?;
        let secret = webhooks::secret()?;
        self.write(|cx| webhooks::subscribe(cx, customer, input, &kinds, &secret))
    }

    /// The customer's subscriptions, oldest first.
    pub fn list_webhooks(&self, customer: &ObjectId) -> Result<Vec<Subscription>> {
        self.read(|rx| rx.tx.webhook_subscriptions(customer))
    }

    /// One subscription of the customer (404 when it is not theirs).
    pub fn get_webhook(&self, customer: &ObjectId, id: &ObjectId) -> Result<Subscription> {
        self.read(|rx| webhooks::find(rx, customer, id))
    }

    /// Removes a subscription of the customer with its deliveries.
    pub fn delete_webhook(&self, customer: &ObjectId, id: &ObjectId) -> Result<()> {
        self.write(|cx| webhooks::unsubscribe(cx, customer, id))
    }

    /// The newest deliveries of a subscription of the customer, newest first.
    pub fn webhook_deliveries(&self, customer: &ObjectId, id: &ObjectId) -> Result<Vec<Delivery>> {
        self.read(|rx| webhooks::deliveries(rx, customer, id))
    }

    /// Queues a dead delivery again (and re-enables its subscription if it was disabled).
    pub fn redeliver_webhook(&self, customer: &ObjectId, subscription: &ObjectId, delivery: &ObjectId) -> Result<Delivery> {
        self.write(|cx| webhooks::redeliver(cx, customer, subscription, delivery))
    }

    /// Worker step 1: deliveries of any customer that may be attempted now.
    pub fn due_webhook_deliveries(&self, limit: usize) -> Result<Vec<DueDelivery>> {
        let now = self.now();
        self.read(|rx| webhooks::due(rx, now, limit))
    }

    /// Worker step 2: claims a due delivery for `owner` (a lease of `lease_millis`), or `None`.
    pub fn claim_webhook_delivery(&self, due: &DueDelivery, owner: &str, lease_millis: i64) -> Result<Option<ClaimedDelivery>> {
        self.write(|cx| webhooks::claim(cx, due, owner, lease_millis))
    }

    /// Worker step 3: records how the attempt of a claimed delivery ended.
    pub fn finish_webhook_delivery(&self, claimed: &ClaimedDelivery, owner: &str, outcome: &AttemptOutcome, policy: &RetryPolicy, jitter: f64) -> Result<()> {
        self.write(|cx| webhooks::finish(cx, claimed, owner, outcome, policy, jitter))
    }
}
