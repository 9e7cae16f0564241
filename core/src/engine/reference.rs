//! The facade of reference data: settings, clients, code types, codes, matters, rules.

use super::Engine;
use crate::error::Result;
use crate::model::*;
use crate::ops::reference;
use crate::rules::ids::ObjectId;

impl Engine {
    /// The customer's settings (defaults for a customer not seen yet).
    pub fn customer_settings(&self, customer: &ObjectId) -> Result<CustomerSettings> {
        self.read(|rx| reference::customer_settings(rx, customer))
    }

    /// Changes customer settings; editable entries are re-settled under the new settings.
    pub fn update_customer_settings(&self, customer: &ObjectId, patch: &CustomerSettingsPatch) -> Result<CustomerSettings> {
        self.write(|cx| reference::update_customer_settings(cx, customer, patch))
    }

    /// The user's settings.
    pub fn user_settings(&self, customer: &ObjectId, user: &ObjectId) -> Result<UserSettings> {
        self.read(|rx| reference::user_settings(rx, customer, user))
    }

    /// Changes a user's zone; their editable entries are re-validated (future work).
    pub fn update_user_settings(&self, customer: &ObjectId, user: &ObjectId, settings: &UserSettings) -> Result<UserSettings> {
        self.write(|cx| reference::update_user_settings(cx, customer, user, settings))
    }

    /// Upserts a client by external id.
    pub fn upsert_client(&self, customer: &ObjectId, input: &ClientInput) -> Result<Client> {
        self.write(|cx| reference::upsert_client(cx, customer, input))
    }

    /// Upserts a code type by external id.
    pub fn upsert_code_type(&self, customer: &ObjectId, input: &CodeTypeInput) -> Result<CodeType> {
        self.write(|cx| reference::upsert_code_type(cx, customer, input))
    }

    /// Upserts a code by code type and external id; entries using it are re-validated.
    pub fn upsert_code(&self, customer: &ObjectId, input: &CodeInput) -> Result<Code> {
        self.write(|cx| reference::upsert_code(cx, customer, input))
    }

    /// Upserts an initiative by external id; its editable entries are re-settled (a matter that
    /// arrives after its entries turns them from pending to validated).
    pub fn upsert_initiative(&self, customer: &ObjectId, input: &InitiativeInput) -> Result<Initiative> {
        self.write(|cx| reference::upsert_initiative(cx, customer, input))
    }

    /// Replaces the allowed codes of an initiative (by external ids).
    pub fn set_initiative_codes(&self, customer: &ObjectId, initiative_external_id: &str, code_external_ids: &[String]) -> Result<Initiative> {
        self.write(|cx| reference::set_initiative_codes(cx, customer, initiative_external_id, code_external_ids))
    }

    /// Replaces the allow or deny list of an initiative.
    pub fn set_initiative_access(&self, customer: &ObjectId, initiative_external_id: &str, kind: AccessKind, users: &[ObjectId]) -> Result<Initiative> {
        self.write(|cx| reference::set_initiative_access(cx, customer, initiative_external_id, kind, users))
    }

    /// Sets the validation rules of an initiative (by external id), or the customer-wide rules
    /// when `initiative_external_id` is `None`.
    pub fn set_validation_rules(&self, customer: &ObjectId, initiative_external_id: Option<&str>, input: &ValidationRulesInput) -> Result<ValidationRules> {
        self.write(|cx| reference::set_validation_rules(cx, customer, initiative_external_id, input))
    }

    /// Every initiative of the customer.
    pub fn list_initiatives(&self, customer: &ObjectId) -> Result<Vec<Initiative>> {
        self.read(|rx| reference::list_initiatives(rx, customer))
    }

    /// Every code of the customer.
    pub fn list_codes(&self, customer: &ObjectId) -> Result<Vec<Code>> {
        self.read(|rx| reference::list_codes(rx, customer))
    }

    /// Every client of the customer.
    pub fn list_clients(&self, customer: &ObjectId) -> Result<Vec<Client>> {
        self.read(|rx| reference::list_clients(rx, customer))
    }
}
