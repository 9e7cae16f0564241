//! Group commit under SIGKILL (issue 13 item 3, decision 101): 16 clients create entries through
//! the real `tenths serve` (group commit on, its default) while the server is killed with
//! SIGKILL, several times, in the middle of its grouped commits, and restarted on the same file.
//! Every fifth request is refused inside its write transaction (a code that does not exist: the
//! refusal rolls back its own savepoint of a group). At the end every acknowledged entry is
//! stored with its summary, and no refused one is. Requests in flight at a kill may go either way.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tenths::api::{mint_hs256, Principal, Role};
use tenths::ObjectId;

const SECRET: &str = "group-commit-secret";
const CLIENTS: usize = 16;
const ROUNDS: usize = 3;
/// Acknowledged creates of a round before its kill.
const BEFORE_KILL: usize = 150;

fn id(n: u64) -> ObjectId {
    ObjectId::parse(&format!("{n:024x}")).unwrap()
}

fn token_of(customer: ObjectId, user: ObjectId) -> String {
    let exp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600) as i64;
    mint_hs256(SECRET.as_bytes(), &Principal::new(customer, user, Role::User), exp).unwrap()
}

/// What the clients learnt: (entry id, summary) of each acknowledged create, the summaries of
/// the refused ones.
#[derive(Default)]
struct Seen {
    acknowledged: Mutex<Vec<(String, String)>>,
    refused: Mutex<Vec<String>>,
}

/// One client: creates entries until the server is gone (or `stop`).
fn client(base: String, round: usize, k: usize, seen: Arc<Seen>, acks: Arc<AtomicUsize>, stop: Arc<AtomicBool>) {
    let customer = id(0xc);
    let user = id(0x100 + (k % 4) as u64);
    let token = token_of(customer, user);
    let url = format!("{base}/api/v1/public/customers/{customer}/users/{user}/entries");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let summary = format!("round {round} client {k} create {n}");
        let refuse = n % 5 == 4;
        let body = match refuse {
            true => json!({"summary": summary, "durationInSeconds": 360, "codeIds": [id(0xdead).to_string()]}),
            false => json!({"summary": summary, "durationInSeconds": 360}),
        };
        let sent = agent
            .post(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", &format!("r{round}-c{k}-n{n}"))
            .send(body.to_string());
        let Ok(mut resp) = sent else { return };
        let status = resp.status().as_u16();
        let Ok(text) = resp.body_mut().read_to_string() else { return };
        match status {
            201 => {
                assert!(!refuse, "a refused create was acknowledged: {text}");
                let entry: Value = serde_json::from_str(&text).unwrap();
                let entry_id = entry["_id"].as_str().unwrap_or_else(|| panic!("no _id: {text}")).to_string();
                seen.acknowledged.lock().unwrap().push((entry_id, summary));
                acks.fetch_add(1, Ordering::SeqCst);
            }
            404 => {
                assert!(refuse, "a create was refused: {text}");
                seen.refused.lock().unwrap().push(summary);
            }
            other => panic!("unexpected answer {other}: {text}"),
        }
    }
}

#[test]
fn no_acknowledged_write_is_lost_and_no_refused_one_stored_when_serve_is_killed_mid_group() {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("tenths-group-kill-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("serve.sqlite");
    let seen = Arc::new(Seen::default());
    for round in 0..ROUNDS {
        let (mut child, base) = common::spawn_serve(db.to_str().unwrap(), SECRET, &[]);
        let (acks, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|k| {
                let (base, seen, acks, stop) = (base.clone(), seen.clone(), acks.clone(), stop.clone());
                std::thread::spawn(move || client(base, round, k, seen, acks, stop))
            })
            .collect();
        // Kill once the round has acknowledged enough (bounded: a stuck server is killed too and
        // the checks below fail on what is missing).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while acks.load(Ordering::SeqCst) < BEFORE_KILL && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().unwrap();
        }
        assert!(acks.load(Ordering::SeqCst) >= BEFORE_KILL, "round {round}: the server acknowledged too little before the deadline");
    }
    let engine = tenths::Engine::open(&db).unwrap();
    let window =
        tenths::Window::new(tenths::Timestamp::parse("2000-01-01T00:00:00Z").unwrap(), tenths::Timestamp::parse("2100-01-01T00:00:00Z").unwrap()).unwrap();
    let stored: std::collections::HashMap<String, String> =
        engine.list_updated(&id(0xc), window).unwrap().into_iter().map(|e| (e.id.to_string(), e.summary.clone())).collect();
    let acknowledged = seen.acknowledged.lock().unwrap();
    let refused = seen.refused.lock().unwrap();
    assert!(acknowledged.len() >= ROUNDS * BEFORE_KILL && !refused.is_empty());
    for (entry_id, summary) in acknowledged.iter() {
        assert_eq!(stored.get(entry_id), Some(summary), "an acknowledged create is lost");
    }
    let summaries: std::collections::HashSet<&String> = stored.values().collect();
    for summary in refused.iter() {
        assert!(!summaries.contains(summary), "a refused create was stored: {summary}");
    }
    eprintln!("{} acknowledged, {} refused, {} stored over {ROUNDS} kills", acknowledged.len(), refused.len(), stored.len());
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}
