//! One whole sync of N entries, as `--bench sync` times it: a device pushes N changed entries
//! to an in-process server through `Engine::sync`, then a second device pulls them. For
//! instruction counts that do not depend on time: `valgrind --tool=callgrind
//! --toggle-collect='tenths::engine::sync::<impl tenths::engine::Engine>::sync' target/release/examples/sync_run [N]`
//! (the first, registering sync of the second device is counted too; it moves nothing).

use tenths::api::InProcessTransport;
use tenths::api::{Principal, Role};
use tenths_benches::{fresh_engine, manual_entries, TempDir};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let dir = TempDir::new("sync-run");
    let (server, fx) = fresh_engine(&dir.db("server")).expect("server");
    let (device, _) = fresh_engine(&dir.db("device")).expect("device");
    let (second, _) = fresh_engine(&dir.db("second")).expect("second");
    let transport = InProcessTransport { server: &server, principal: Principal::new(fx.customer, fx.user, Role::User) };
    second.sync(&transport, &fx.customer, &fx.user).expect("first sync");
    device.import_entries(&fx.scope(), &manual_entries(n, fx.initiative)).expect("import");
    let pushed = device.sync(&transport, &fx.customer, &fx.user).expect("push");
    let pulled = second.sync(&transport, &fx.customer, &fx.user).expect("pull");
    println!("pushed {} applied {}, pulled {}", pushed.pushed, pushed.applied, pulled.pulled);
}
