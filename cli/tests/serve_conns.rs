//! The connections of the real `tenths serve` binary (decisions 55 and 56): a request head that
//! never ends is closed at the header timeout, a kept-alive connection at the idle timeout, a
//! body that does not arrive is answered 408; at the connection cap the longest-waiting
//! connection makes room for a new client, and under a small open-files limit the default cap
//! keeps the server answering while idle connections pile up. Raw sockets: the point is what
//! happens on the wire. No timing is asserted: every wait has a generous safety bound only so a
//! broken server fails the test instead of hanging it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Far longer than any timeout a test sets: reaching it means the server did not act.
const SAFETY: Duration = Duration::from_secs(30);

struct Served {
    child: Child,
    addr: String,
    dir: std::path::PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts `tenths serve` with `flags`, under `ulimit -n open_files` when given.
fn serve(flags: &[&str], open_files: Option<u32>) -> Served {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("tenths-conns-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("conns.sqlite");
    let mut args: Vec<String> =
        vec![env!("CARGO_BIN_EXE_tenths").into(), "serve".into(), "--db".into(), db.to_str().unwrap().into(), "--addr".into(), "127.0.0.1:0".into()];
    args.extend(flags.iter().map(|f| f.to_string()));
    let limit = open_files.map(|n| format!("ulimit -n {n} && ")).unwrap_or_default();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{limit}exec \"$@\""))
        .arg("sh")
        .args(&args)
        .env("TENTHS_JWT_SECRET", "conns-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("no listening line: {line:?}")).to_string();
    Served { child, addr, dir }
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(SAFETY)).unwrap();
    s
}

/// Reads until the server closes the connection; panics if it is still open after [`SAFETY`].
/// Returns what was read.
fn read_until_closed(s: &mut TcpStream) -> String {
    let started = Instant::now();
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return String::from_utf8_lossy(&all).into_owned(),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return String::from_utf8_lossy(&all).into_owned(),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => panic!("the server kept the connection open {:?}", started.elapsed()),
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

/// Whether the server has closed `s` (a short look, for connections expected to stay open).
fn is_closed(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 1];
    let closed = match s.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    };
    s.set_read_timeout(Some(SAFETY)).unwrap();
    closed
}

/// One request on `s` that keeps the connection open; returns the response head and body.
fn exchange(s: &mut TcpStream, request: &str) -> String {
    s.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed before a whole response: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize =
                text[..end].lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())).unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text;
            }
        }
    }
}

/// A small unauthenticated request: answered 401 with a short body.
const PING: &str = "GET /api/v1/customers/64b7f0c2a1b2c3d4e5f60001/clients HTTP/1.1\r\nHost: t\r\n\r\n";

/// A fresh client is answered (any HTTP status proves the server took the connection).
fn answered(addr: &str) -> bool {
    exchange(&mut connect(addr), PING).starts_with("HTTP/1.1 ")
}

#[test]
fn a_request_head_that_never_ends_is_closed_at_the_header_timeout() {
    let server = serve(&["--header-timeout", "1s", "--idle-timeout", "1h"], None);
    let mut s = connect(&server.addr);
    s.write_all(b"GET /openapi.json HTTP/1.1\r\nHost: t\r\n").unwrap();
    // Slowloris: a header line every 200 ms; the server must close it anyway.
    let started = Instant::now();
    let mut line = 0;
    while started.elapsed() < SAFETY {
        std::thread::sleep(Duration::from_millis(200));
        line += 1;
        if s.write_all(format!("X-Slow-{line}: x\r\n").as_bytes()).is_err() || is_closed(&mut s) {
            return;
        }
    }
    panic!("a request head sent one line at a time was kept open for {SAFETY:?}");
}

#[test]
fn a_connection_that_sends_nothing_is_closed_at_the_header_timeout() {
    let server = serve(&["--header-timeout", "1s", "--idle-timeout", "1h"], None);
    let mut s = connect(&server.addr);
    assert_eq!(read_until_closed(&mut s), "");
}

#[test]
fn a_kept_alive_connection_is_closed_at_the_idle_timeout() {
    let server = serve(&["--idle-timeout", "1s", "--header-timeout", "1h"], None);
    let mut s = connect(&server.addr);
    assert!(exchange(&mut s, PING).starts_with("HTTP/1.1 401"));
    // Kept alive: a second request on the same connection is served.
    assert!(exchange(&mut s, PING).starts_with("HTTP/1.1 401"));
    // Then nothing: the idle timeout (not the hour-long header timeout) closes it.
    assert_eq!(read_until_closed(&mut s), "");
}

#[test]
fn a_body_that_does_not_arrive_is_answered_408_and_closed() {
    let server = serve(&["--body-timeout", "1s"], None);
    let mut s = connect(&server.addr);
    s.write_all(b"POST /api/v1/customers/64b7f0c2a1b2c3d4e5f60001/clients/import HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"exte").unwrap();
    let reply = read_until_closed(&mut s);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains(r#""code":"request_timeout""#), "{reply}");
    assert!(reply.to_ascii_lowercase().contains("connection: close"), "{reply}");
}

#[test]
fn at_the_cap_the_longest_waiting_connection_makes_room() {
    let server = serve(&["--max-connections", "3", "--header-timeout", "1h"], None);
    let mut waiting: Vec<TcpStream> = Vec::new();
    for _ in 0..3 {
        waiting.push(connect(&server.addr));
        // Let the server register it, so the three are told apart by age.
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!is_closed(&mut waiting[0]));
    // A new client at the cap is served; the oldest waiting connection was closed for it.
    let mut kept = connect(&server.addr);
    assert!(exchange(&mut kept, PING).starts_with("HTTP/1.1 "));
    assert!(is_closed(&mut waiting[0]));
    assert!(!is_closed(&mut waiting[1]));
    assert!(!is_closed(&mut waiting[2]));
    // The next one takes the place of the next oldest, not of the newer kept-alive one.
    assert!(answered(&server.addr));
    assert!(is_closed(&mut waiting[1]));
    assert!(!is_closed(&mut waiting[2]));
    assert!(exchange(&mut kept, PING).starts_with("HTTP/1.1 "));
}

#[test]
fn idle_connections_beyond_the_open_files_limit_do_not_starve_a_client() {
    // ulimit -n 128: the default cap is 64; 200 connections that send nothing would take every
    // descriptor of a server without a cap.
    let server = serve(&[], Some(128));
    let idle: Vec<TcpStream> = (0..200).map(|_| connect(&server.addr)).collect();
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        assert!(answered(&server.addr));
    }
    drop(idle);
}

#[test]
fn sigterm_closes_waiting_connections_and_exits_cleanly() {
    let mut server = serve(&["--header-timeout", "1h", "--idle-timeout", "1h"], None);
    let mut kept = connect(&server.addr);
    assert!(exchange(&mut kept, PING).starts_with("HTTP/1.1 401"));
    let mut fresh = connect(&server.addr);
    std::thread::sleep(Duration::from_millis(100));
    Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    // Both are closed at once by the graceful shutdown, not after the hour-long timeouts.
    assert_eq!(read_until_closed(&mut kept), "");
    assert_eq!(read_until_closed(&mut fresh), "");
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            return;
        }
        assert!(started.elapsed() < SAFETY, "the server did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
