//! Reference data read once per transaction (or per listing): customer settings, user zones,
//! effective validation rules, matters (with their display form) and codes, and which users
//! are known to exist. A bulk import of a thousand entries of one matter reads each of these
//! once instead of once or twice per entry.
//!
//! The cache is only valid while the reference data it holds does not change: make a new one
//! after writing settings, rules, matters or codes (the engine makes one per transaction and
//! writes reference data before it reads through one). Nothing here decides a rule: it only
//! answers the lookups of the store, exactly as the uncached reads would.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chrono_tz::Tz;
use rusqlite::Connection;

use crate::error::Result;
use crate::rules::ids::ObjectId;
use crate::model::*;
use crate::store::reference;
use crate::rules::time::{parse_zone, Timestamp};
use crate::rules::validation::Rules;

/// A (customer, record) key: nothing crosses tenants, the cache included.
type Key = (ObjectId, ObjectId);

/// See the module documentation.
#[derive(Default)]
pub(crate) struct Lookups {
    users: HashSet<Key>,
    settings: HashMap<ObjectId, Rc<CustomerSettings>>,
    zones: HashMap<Key, Tz>,
    rules: HashMap<(ObjectId, Option<ObjectId>), Rc<Rules>>,
    initiatives: HashMap<Key, Option<Rc<Initiative>>>,
    initiative_refs: HashMap<Key, Option<InitiativeRef>>,
    codes: HashMap<Key, Option<Rc<Code>>>,
}

impl Lookups {
    /// Creates the customer and the user if they are new (once per user and cache).
    pub(crate) fn ensure_user(&mut self, conn: &Connection, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()> {
        if self.users.contains(&(*customer, *user)) {
            return Ok(());
        }
        reference::ensure_user(conn, customer, user, now)?;
        self.users.insert((*customer, *user));
        Ok(())
    }

    /// The customer's settings (defaults for a customer not stored yet).
    pub(crate) fn settings(&mut self, conn: &Connection, customer: &ObjectId) -> Result<Rc<CustomerSettings>> {
        if let Some(s) = self.settings.get(customer) {
            return Ok(Rc::clone(s));
        }
        let s = Rc::new(reference::customer_settings(conn, customer)?);
        self.settings.insert(*customer, Rc::clone(&s));
        Ok(s)
    }

    /// The zone of a user: their own, else the customer's.
    pub(crate) fn zone(&mut self, conn: &Connection, customer: &ObjectId, user: &ObjectId) -> Result<Tz> {
        if let Some(z) = self.zones.get(&(*customer, *user)) {
            return Ok(*z);
        }
        let zone = match reference::user_timezone(conn, customer, user)? {
            Some(tz) => parse_zone(&tz, "timezone")?,
            None => parse_zone(&self.settings(conn, customer)?.timezone, "timezone")?,
        };
        self.zones.insert((*customer, *user), zone);
        Ok(zone)
    }

    /// The rules that apply to an entry of `initiative` (see [`reference::effective_rules`]).
    pub(crate) fn rules(&mut self, conn: &Connection, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Rc<Rules>> {
        let key = (*customer, initiative.copied());
        if let Some(r) = self.rules.get(&key) {
            return Ok(Rc::clone(r));
        }
        let r = Rc::new(reference::effective_rules(conn, customer, initiative)?);
        self.rules.insert(key, Rc::clone(&r));
        Ok(r)
    }

    /// A matter with its allowed codes and access lists, if stored.
    pub(crate) fn initiative(&mut self, conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<Rc<Initiative>>> {
        if let Some(hit) = self.initiatives.get(&(*customer, *id)) {
            return Ok(hit.clone());
        }
        let found = reference::initiative(conn, customer, id)?.map(Rc::new);
        self.initiatives.insert((*customer, *id), found.clone());
        Ok(found)
    }

    /// The display form of a matter, with its client, if the matter is stored.
    pub(crate) fn initiative_ref(&mut self, conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<InitiativeRef>> {
        if let Some(hit) = self.initiative_refs.get(&(*customer, *id)) {
            return Ok(hit.clone());
        }
        // A matter already read in full (a write settling entries) gives its display form with
        // one more read (the client); otherwise one joined statement reads both.
        let found = match self.initiatives.get(&(*customer, *id)) {
            Some(None) => None,
            Some(Some(i)) => Some(to_ref(conn, customer, i)?),
            None => reference::initiative_ref(conn, customer, id)?,
        };
        self.initiative_refs.insert((*customer, *id), found.clone());
        Ok(found)
    }

    /// Reads, with one statement, the display forms of the matters among `ids` not cached yet.
    pub(crate) fn preload_initiative_refs(&mut self, conn: &Connection, customer: &ObjectId, ids: &[ObjectId]) -> Result<()> {
        let mut missing: Vec<ObjectId> = ids.iter().copied().filter(|id| !self.initiative_refs.contains_key(&(*customer, *id))).collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.len() < 2 {
            return Ok(());
        }
        let found = reference::initiative_refs(conn, customer, &missing)?;
        for id in missing {
            let r = found.get(&id).cloned();
            self.initiative_refs.insert((*customer, id), r);
        }
        Ok(())
    }

    /// A code by id, if stored.
    pub(crate) fn code(&mut self, conn: &Connection, customer: &ObjectId, id: &ObjectId) -> Result<Option<Rc<Code>>> {
        if let Some(hit) = self.codes.get(&(*customer, *id)) {
            return Ok(hit.clone());
        }
        let found = reference::code(conn, customer, id)?.map(Rc::new);
        self.codes.insert((*customer, *id), found.clone());
        Ok(found)
    }
}

/// The display form of a matter, with its client.
fn to_ref(conn: &Connection, customer: &ObjectId, i: &Initiative) -> Result<InitiativeRef> {
    let client = match &i.client_external_id {
        Some(ext) => reference::client_by_external(conn, customer, ext)?,
        None => None,
    };
    Ok(InitiativeRef {
        id: i.id,
        kind: i.kind,
        billing_type: i.billing_type,
        call_sign: i.call_sign.clone(),
        unit_increments: i.unit_increments,
        external_id: i.external_id.clone(),
        name: i.name.clone(),
        description: i.description.clone(),
        client,
    })
}
