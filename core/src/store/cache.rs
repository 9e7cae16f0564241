//! The reference cache: customer settings, user zones, effective validation rules, matters
//! (with their display form) and codes, and which users are known to exist, kept in memory
//! across transactions, one cache per connection.
//!
//! Validity: the first time a transaction touches a customer, the cache reads the customer's
//! reference version ([`ReadTx::reference_version`], one keyed read) and drops what it holds for
//! the customer when the version moved. Every reference write moves the version first, in the
//! same transaction, whichever process makes it; the engine's own reference writes also call
//! [`RefCache::forget`] so the rest of their transaction reads the new data. A rolled-back
//! transaction clears the cache (it may hold what the transaction wrote). So a create or an
//! override in the common case reads no reference data at all.
//!
//! Nothing here decides a rule: it answers the lookups exactly as the uncached reads would
//! (the choice between a matter's own rules and the customer-wide ones is the one exception:
//! it is spelled out in [`RefCache::rules`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono_tz::Tz;

use super::{ReadTx, WriteTx};
use crate::error::Result;
use crate::model::*;
use crate::rules::ids::ObjectId;
use crate::rules::time::{parse_zone, Timestamp};
use crate::rules::validation::Rules;

/// Customers whose reference data one connection keeps; past it the cache starts afresh (a
/// server of many firms must not grow without bound; one firm never reaches it).
const MAX_CUSTOMERS: usize = 256;
/// Users known to exist that one connection remembers; past it the set starts afresh.
const MAX_KNOWN_USERS: usize = 100_000;

/// What the cache holds for one customer, valid at `version`.
#[derive(Default)]
struct CustomerRefs {
    version: i64,
    settings: Option<Arc<CustomerSettings>>,
    zones: HashMap<ObjectId, Tz>,
    rules: HashMap<Option<ObjectId>, Arc<Rules>>,
    initiatives: HashMap<ObjectId, Option<Arc<Initiative>>>,
    initiative_refs: HashMap<ObjectId, Option<InitiativeRef>>,
    codes: HashMap<ObjectId, Option<Arc<Code>>>,
}

/// See the module documentation. One per connection: it is used only by the transaction holding that connection.
#[derive(Default)]
pub struct RefCache {
    customers: HashMap<ObjectId, CustomerRefs>,
    /// Users whose rows exist (committed).
    users: HashSet<(ObjectId, ObjectId)>,
    /// Users ensured by the open transaction (kept only if it commits).
    new_users: HashSet<(ObjectId, ObjectId)>,
    /// Customers whose version the open transaction has checked.
    checked: HashSet<ObjectId>,
}

impl RefCache {
    /// Starts a transaction: versions are checked again on first use.
    pub fn begin(&mut self) {
        self.checked.clear();
        self.new_users.clear();
    }

    /// The transaction committed: the users it created are known from now on.
    pub fn commit(&mut self) {
        if self.users.len().saturating_add(self.new_users.len()) > MAX_KNOWN_USERS {
            self.users.clear();
        }
        self.users.extend(self.new_users.drain());
        self.checked.clear();
    }

    /// The transaction (or a savepoint) rolled back: forget everything, it may hold what was
    /// undone.
    pub fn rollback(&mut self) {
        *self = RefCache::default();
    }

    /// Drops what is held for a customer (after writing its reference data).
    pub fn forget(&mut self, customer: &ObjectId) {
        self.customers.remove(customer);
        self.checked.remove(customer);
    }

    /// The customer's entry, checked against the stored version once per transaction.
    fn of(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId) -> Result<&mut CustomerRefs> {
        if !self.checked.contains(customer) {
            let version = tx.reference_version(customer)?;
            let fresh = self.customers.get(customer).is_some_and(|c| c.version == version);
            if !fresh {
                if self.customers.len() >= MAX_CUSTOMERS && !self.customers.contains_key(customer) {
                    // Only this transaction's customers stay: they are checked already.
                    let checked = &self.checked;
                    self.customers.retain(|c, _| checked.contains(c));
                }
                self.customers.insert(*customer, CustomerRefs { version, ..CustomerRefs::default() });
            }
            self.checked.insert(*customer);
        }
        Ok(self.customers.entry(*customer).or_default())
    }

    /// Creates the customer and the user if they are new (once per user and connection).
    pub fn ensure_user(&mut self, tx: &mut dyn WriteTx, customer: &ObjectId, user: &ObjectId, now: Timestamp) -> Result<()> {
        let key = (*customer, *user);
        if self.users.contains(&key) || self.new_users.contains(&key) {
            return Ok(());
        }
        tx.ensure_user(customer, user, now)?;
        self.new_users.insert(key);
        Ok(())
    }

    /// The customer's settings (defaults for a customer not stored yet).
    pub fn settings(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId) -> Result<Arc<CustomerSettings>> {
        if let Some(s) = &self.of(tx, customer)?.settings {
            return Ok(Arc::clone(s));
        }
        let s = Arc::new(tx.customer_settings(customer)?.unwrap_or_default());
        self.of(tx, customer)?.settings = Some(Arc::clone(&s));
        Ok(s)
    }

    /// The zone of a user: their own, else the customer's.
    pub fn zone(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId, user: &ObjectId) -> Result<Tz> {
        if let Some(z) = self.of(tx, customer)?.zones.get(user) {
            return Ok(*z);
        }
        let zone = match tx.user_timezone(customer, user)? {
            Some(tz) => parse_zone(&tz, "timezone")?,
            None => parse_zone(&self.settings(tx, customer)?.timezone, "timezone")?,
        };
        self.of(tx, customer)?.zones.insert(*user, zone);
        Ok(zone)
    }

    /// The rules that apply to an entry of `initiative`: the matter's own, else the
    /// customer-wide ones, else the defaults.
    pub fn rules(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId, initiative: Option<&ObjectId>) -> Result<Arc<Rules>> {
        let key = initiative.copied();
        if let Some(r) = self.of(tx, customer)?.rules.get(&key) {
            return Ok(Arc::clone(r));
        }
        let own = match initiative {
            Some(i) => tx.validation_rules(customer, Some(i))?,
            None => None,
        };
        let r = Arc::new(match own {
            Some(r) => r,
            None => tx.validation_rules(customer, None)?.unwrap_or_default(),
        });
        self.of(tx, customer)?.rules.insert(key, Arc::clone(&r));
        Ok(r)
    }

    /// A matter with its allowed codes and access lists, if stored.
    pub fn initiative(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId, id: &ObjectId) -> Result<Option<Arc<Initiative>>> {
        if let Some(hit) = self.of(tx, customer)?.initiatives.get(id) {
            return Ok(hit.clone());
        }
        let found = tx.initiative(customer, id)?.map(Arc::new);
        self.of(tx, customer)?.initiatives.insert(*id, found.clone());
        Ok(found)
    }

    /// The display form of a matter, with its client, if the matter is stored.
    pub fn initiative_ref(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId, id: &ObjectId) -> Result<Option<InitiativeRef>> {
        if let Some(hit) = self.of(tx, customer)?.initiative_refs.get(id) {
            return Ok(hit.clone());
        }
        let found = tx.initiative_refs(customer, std::slice::from_ref(id))?.remove(id);
        self.of(tx, customer)?.initiative_refs.insert(*id, found.clone());
        Ok(found)
    }

    /// Reads, at once, the display forms of the matters among `ids` not cached yet.
    pub fn preload_initiative_refs(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId, ids: &[ObjectId]) -> Result<()> {
        let refs = self.of(tx, customer)?;
        let mut missing: Vec<ObjectId> = ids.iter().copied().filter(|id| !refs.initiative_refs.contains_key(id)).collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        let mut found = tx.initiative_refs(customer, &missing)?;
        let refs = self.of(tx, customer)?;
        for id in missing {
            let r = found.remove(&id);
            refs.initiative_refs.insert(id, r);
        }
        Ok(())
    }

    /// A code by id, if stored.
    pub fn code(&mut self, tx: &mut dyn ReadTx, customer: &ObjectId, id: &ObjectId) -> Result<Option<Arc<Code>>> {
        if let Some(hit) = self.of(tx, customer)?.codes.get(id) {
            return Ok(hit.clone());
        }
        let found = tx.code(customer, id)?.map(Arc::new);
        self.of(tx, customer)?.codes.insert(*id, found.clone());
        Ok(found)
    }

    /// Fills the matter of each entry from the cache (one read for the matters not cached).
    pub fn fill_matters<'e>(&mut self, tx: &mut dyn ReadTx, entries: impl IntoIterator<Item = &'e mut Entry>) -> Result<()> {
        let entries: Vec<&mut Entry> = entries.into_iter().collect();
        let mut by_customer: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
        for e in &entries {
            if let Some(i) = e.initiative_id {
                by_customer.entry(e.customer_id).or_default().push(i);
            }
        }
        for (customer, ids) in &by_customer {
            self.preload_initiative_refs(tx, customer, ids)?;
        }
        for e in entries {
            self.fill_matter(tx, e)?;
        }
        Ok(())
    }

    /// Fills the matter (display form) of one entry from the cache.
    pub fn fill_matter(&mut self, tx: &mut dyn ReadTx, e: &mut Entry) -> Result<()> {
        e.initiative = match &e.initiative_id {
            Some(id) => self.initiative_ref(tx, &e.customer_id, id)?,
            None => None,
        };
        Ok(())
    }
}
