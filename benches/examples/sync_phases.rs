//! Times the phases of a sync push and pull (prepare, server apply, complete, feed, apply) for
//! profiling: `cargo run --release -p tenths-benches --example sync_phases [N]`.
//!
//! With `whole` after N it runs instead one whole sync as `--bench sync` times it (a device
//! pushes N entries through `Engine::sync`, a second device pulls them), for instruction counts
//! that do not depend on time: `valgrind --tool=callgrind
//! --toggle-collect='tenths::engine::sync::<impl tenths::engine::Engine>::sync'
//! target/release/examples/sync_phases 2000 whole` (the second device's first, registering sync
//! is counted too; it moves nothing).

use std::time::Instant;

use tenths::api::InProcessTransport;
use tenths::api::{Principal, Role};
use tenths::sync::PullCursor;
use tenths_benches::{fresh_engine, manual_entries, TempDir};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let dir = TempDir::new("sync-phases");
    let (server, fx) = fresh_engine(&dir.db("server")).expect("server");
    let (device, _) = fresh_engine(&dir.db("device")).expect("device");
    let (second, _) = fresh_engine(&dir.db("second")).expect("second");
    let transport = InProcessTransport { server: &server, principal: Principal::new(fx.customer, fx.user, Role::User) };
    second.sync(&transport, &fx.customer, &fx.user).expect("first sync");
    device.import_entries(&fx.scope(), &manual_entries(n, fx.initiative)).expect("import");
    if std::env::args().nth(2).as_deref() == Some("whole") {
        let pushed = device.sync(&transport, &fx.customer, &fx.user).expect("push");
        let pulled = second.sync(&transport, &fx.customer, &fx.user).expect("pull");
        println!("pushed {} applied {}, pulled {}", pushed.pushed, pushed.applied, pulled.pulled);
        return;
    }
    let (mut prepare, mut apply, mut complete, mut json) = (0.0, 0.0, 0.0, 0.0);
    loop {
        let t = Instant::now();
        let batch = device.sync_prepare_push(&fx.customer, &fx.user, 500).expect("prepare");
        prepare += t.elapsed().as_secs_f64();
        if batch.is_empty() {
            break;
        }
        let t = Instant::now();
        let body = serde_json::to_vec(&batch).expect("json");
        let batch: tenths::sync::PushBatch = serde_json::from_slice(&body).expect("json");
        json += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let answer = server.sync_apply_push(&fx.scope(), &batch).expect("apply");
        apply += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let body = serde_json::to_vec(&answer).expect("json");
        let answer: tenths::sync::PushResponse = serde_json::from_slice(&body).expect("json");
        json += t.elapsed().as_secs_f64();
        let t = Instant::now();
        device.sync_complete_push(&fx.customer, &fx.user, &answer).expect("complete");
        complete += t.elapsed().as_secs_f64();
    }
    let per = |s: f64| s * 1e6 / n as f64;
    println!("push per entry: prepare {:.0} µs, json {:.0} µs, server apply {:.0} µs, complete {:.0} µs", per(prepare), per(json), per(apply), per(complete));
    let (mut feed, mut pull_apply) = (0.0, 0.0);
    let mut after = second.sync_pull_request(&fx.customer, &fx.user, 500).expect("request").after;
    loop {
        let t = Instant::now();
        let page = server.sync_changes(&fx.customer, &fx.user, after, 500).expect("feed");
        feed += t.elapsed().as_secs_f64();
        let t = Instant::now();
        second.sync_apply_pull(&fx.customer, &fx.user, &page).expect("apply");
        pull_apply += t.elapsed().as_secs_f64();
        if !page.has_more {
            break;
        }
        after = page.next;
    }
    let _ = PullCursor::default();
    println!("pull per entry: server feed {:.0} µs, device apply {:.0} µs", per(feed), per(pull_apply));
}
