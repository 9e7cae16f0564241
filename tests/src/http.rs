//! The one place the suites reach the HTTP API in process.
//!
//! Every HTTP-level call of the suites (the auth table, the sync pushes and pulls, the OpenAPI
//! checks) goes through [`Api`], so when the router moves off [`Engine`] to a type of its own,
//! this file is the only one to change.

use std::sync::Arc;

use tenths::api::{Principal, Request, Response, Verifier};
use tenths::sync::Transport;
use tenths::Engine;

/// The in-process router of one engine, with the verifier of its bearer tokens.
#[derive(Clone)]
pub struct Api<'e> {
    engine: &'e Engine,
    verifier: Option<Arc<dyn Verifier>>,
}

impl<'e> Api<'e> {
    /// The router of `engine`. Without a `verifier`, only requests carrying a trusted principal
    /// (and the open routes) are served, as with an engine that has no token verifier set.
    pub fn new(engine: &'e Engine, verifier: Option<Arc<dyn Verifier>>) -> Api<'e> {
        Api { engine, verifier }
    }

    /// Serves one request. The verifier is passed per call instead of being set on the engine,
    /// so two routers over one engine cannot change each other's; the answer is the same as
    /// `Engine::request` with that verifier set.
    pub fn serve(&self, request: &Request) -> Response {
        tenths::api::handle(self.engine, self.verifier.as_deref(), request)
    }

    /// A sync transport to this router acting as `principal` (a signed-in device), as
    /// `tenths::sync::InProcessTransport` does for an engine.
    pub fn transport(&self, principal: Principal) -> ApiTransport<'e> {
        ApiTransport { api: self.clone(), principal }
    }
}

/// A sync transport over an [`Api`] with a trusted principal.
pub struct ApiTransport<'e> {
    api: Api<'e>,
    principal: Principal,
}

impl Transport for ApiTransport<'_> {
    fn send(&self, request: Request) -> Result<Response, String> {
        Ok(self.api.serve(&request.with_principal(self.principal.clone())))
    }
}
