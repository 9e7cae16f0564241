//! Fuzz target `router`: any request (who calls, method, path with query, headers, body) through
//! the router against the fixture engine. Beyond "no panic": the answer keeps
//! `tenths_fuzz::check_response` (a status the API uses, never 500, JSON or CSV bodies, error
//! bodies with a code matching the status and a field on 400), and the engine still answers its
//! health check afterwards.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenths::api::Request;
use tenths_fuzz::{check_response, parse_request, Fixture};

fuzz_target!(|data: &[u8]| {
    let request = parse_request(data);
    Fixture::with(|fx| {
        let response = fx.router.handle(&fx.engine, &request);
        check_response(&request, &response, false);
        let health = fx.router.handle(&fx.engine, &Request::new("GET", "/healthz", Vec::new()));
        assert_eq!(health.status, 200, "the engine stopped answering after {} {}", request.method, request.path);
    });
});
