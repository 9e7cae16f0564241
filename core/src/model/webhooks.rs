//! Webhook records (issue 16, decisions 96–100): a customer's subscriptions (a target URL, the
//! event kinds wanted, a secret shown once) and their deliveries (one outbox row per event and
//! matching subscription, written in the change's transaction), with their wire shapes.

use serde::{Deserialize, Serialize};

use super::events::EventKind;
use crate::rules::ids::ObjectId;
use crate::rules::time::Timestamp;

/// What a connector or admin posts to subscribe.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSubscription {
    /// The target: an http(s) URL without credentials whose host is not forbidden.
    pub url: String,
    /// The event kinds wanted (wire names, at least one).
    pub events: Vec<String>,
}

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: ObjectId,
    pub customer: ObjectId,
    pub url: String,
    pub kinds: Vec<EventKind>,
    /// The signing secret (never shown after the answer that created it).
    pub secret: String,
    pub created_at: Timestamp,
    /// When the worker disabled it, and why (`None`: active).
    pub disabled: Option<(Timestamp, String)>,
    /// Dead deliveries in a row (reset by a delivered one).
    pub dead_in_a_row: i64,
}

/// The wire shape of a subscription (`secret` only in the answer that created it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub url: String,
    pub events: Vec<&'static str>,
    /// `active` or `disabled`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Subscription {
    /// The wire shape; `with_secret` only for the answer that created it.
    pub fn view(&self, with_secret: bool) -> SubscriptionView {
        SubscriptionView {
            id: self.id,
            url: self.url.clone(),
            events: self.kinds.iter().map(|k| k.as_str()).collect(),
            status: if self.disabled.is_some() { "disabled" } else { "active" },
            disabled_at: self.disabled.as_ref().map(|(at, _)| *at),
            disabled_reason: self.disabled.as_ref().map(|(_, why)| why.clone()),
            created_at: self.created_at,
            secret: with_secret.then(|| self.secret.clone()),
        }
    }
    /// Whether it is active and wants events of `kind`.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.disabled.is_none() && self.kinds.contains(&kind)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its (next) attempt.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every attempt failed; `redeliver` queues it again.
    Dead,
    /// Its subscription was disabled before it was delivered; it is queued again when the
    /// subscription is re-enabled (by a redelivery).
    Held,
}

impl DeliveryState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
            DeliveryState::Held => "held",
        }
    }
    /// The state of a stored name.
    pub fn parse(s: &str) -> Option<DeliveryState> {
        [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead, DeliveryState::Held].into_iter().find(|d| d.as_str() == s)
    }
}

/// One delivery of one event to one subscription (the outbox row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub subscription_id: ObjectId,
    pub event_id: ObjectId,
    #[serde(serialize_with = "kind_name")]
    pub kind: EventKind,
    /// Its place among the subscription's deliveries (delivered in this order).
    pub seq: i64,
    pub state: DeliveryState,
    pub attempts: i64,
    pub created_at: Timestamp,
    /// When the next attempt is due (pending ones).
    pub next_attempt_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<Timestamp>,
    /// The receiver's last HTTP status, if it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<Timestamp>,
    /// The JSON body posted (built when the event happened).
    #[serde(skip)]
    pub payload: String,
    /// The worker that holds it while it attempts it, and until when (decision 98).
    #[serde(skip)]
    pub lease: Option<(String, Timestamp)>,
}

fn kind_name<S: serde::Serializer>(k: &EventKind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

/// A delivery the worker may attempt: its customer, subscription and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDelivery {
    pub customer: ObjectId,
    pub subscription: ObjectId,
    pub delivery: ObjectId,
}

/// What the worker holds while it attempts a delivery: where to post, what, and how to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub customer: ObjectId,
    pub subscription: ObjectId,
    pub delivery: ObjectId,
    pub event_id: ObjectId,
    pub url: String,
    pub secret: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered { status: i64 },
    /// It answered another status (`status`), or nothing (`None`: refused, timed out, a
    /// forbidden address); `error` says what happened.
    Failed { status: Option<i64>, error: String },
}

/// The event kind of a wire name (`None`: not a kind).
pub fn event_kind(name: &str) -> Option<EventKind> {
    EventKind::ALL.iter().copied().find(|k| k.as_str() == name)
}

/// The stored form of a subscription's kinds: a JSON array of wire names.
pub fn kinds_to_json(kinds: &[EventKind]) -> String {
    serde_json::Value::from(kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()).to_string()
}

/// The kinds of their stored form; `None` when it is not an array of known wire names.
pub fn kinds_from_json(stored: &str) -> Option<Vec<EventKind>> {
    let names: Vec<String> = serde_json::from_str(stored).ok()?;
    names.iter().map(|n| event_kind(n)).collect()
}
