//! Fuzz target `bodies`: the JSON body decoding of every route that takes a body. The first line
//! names the route (its operationId), the rest is the body, sent by an admin with `Content-Type: application/json`
//! to an engine that is closed: a body that decodes reaches the engine and is answered 503
//! (`unavailable`), one that does not is answered 400 naming the field (`summary`,
//! `sources[0].endedAt`, `body`), a body over the limit 413. Nothing else may come out, and
//! every answer keeps `tenths_fuzz::check_response`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tenths::api::{Principal, Request, Role, RouteSpec, Router, ROUTES};
use tenths::Engine;
use tenths_fuzz::{check_response, oid, CUSTOMER, ENTRIES, USER};

struct Closed {
    engine: Engine,
    router: Router,
    routes: Vec<&'static RouteSpec>,
}

fn closed() -> &'static Closed {
    static CLOSED: OnceLock<Closed> = OnceLock::new();
    CLOSED.get_or_init(|| {
        let engine = Engine::open_in_memory().unwrap_or_else(|e| panic!("open: {e}"));
        engine.close().unwrap_or_else(|e| panic!("close: {e}"));
        Closed { engine, router: Router::new(), routes: ROUTES.iter().filter(|r| r.body.is_some()).collect() }
    })
}

fuzz_target!(|data: &[u8]| {
    let (line, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (data.get(..at).unwrap_or_default(), data.get(at + 1..).unwrap_or_default()),
        None => (data, &[][..]),
    };
    let closed = closed();
    // The route named by the first line (an operationId), else one picked by the line's length.
    let named = closed.routes.iter().find(|r| r.id.as_bytes() == line);
    let Some(spec) = named.or_else(|| closed.routes.get(line.len() % closed.routes.len().max(1))) else { return };
    let path = spec.path.replace("{customerId}", CUSTOMER).replace("{userId}", USER).replace("{entryId}", ENTRIES[0]).replace("{initiativeExternalId}", "M-1");
    let request =
        Request::new(spec.method, &path, body).header("Content-Type", "application/json").with_principal(Principal::new(oid(CUSTOMER), oid(USER), Role::Admin));
    let response = closed.router.handle(&closed.engine, &request);
    check_response(&request, &response, true);
    assert!(
        matches!(response.status, 400 | 413 | 503),
        "{} answered {} on a closed engine: {}",
        spec.id,
        response.status,
        String::from_utf8_lossy(&response.body)
    );
});
