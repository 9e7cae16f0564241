//! The connections of `tenths serve`: which ones it keeps open and for how long (decisions 55
//! and 56). Each connection is in one phase — waiting for a request head (from accept, or from
//! the first byte of a kept-alive connection's next request), reading a body, running in the
//! engine, or idle between requests — and a connection that overstays its phase's timeout is
//! closed: the header and idle timeouts here, the body timeout in the request handler (it
//! answers 408). The number of open connections is capped below the open-files limit; at the
//! cap the connection that has waited longest without a request in the engine is closed to
//! make room, so the accept loop never stops and a normal client always gets in.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// File descriptors kept free below the open-files limit for everything that is not a client
/// connection: stdio, the listener, the runtime's epoll/eventfd/signal pipe, the database (the
/// writer and the readers each hold the database file and its WAL and shared-memory files), and
/// up to [`MAX_CLOSING`] connections chosen for closing whose task has not closed them yet.
pub const FD_RESERVE: u64 = 64;

/// Connections chosen for closing (at the cap) that may still hold their descriptor: past this
/// many the accept loop waits for them to close before taking more, so a flood that keeps the
/// loop busy cannot push the descriptor count past the cap plus this.
pub const MAX_CLOSING: usize = 16;

/// How long each phase of a connection may last, and how many connections may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From accept (or from the first byte of a kept-alive connection's next request) until the
    /// request head is complete.
    pub header_timeout: Duration,
    /// From the complete head until the whole body has arrived.
    pub body_timeout: Duration,
    /// From the moment the response is handed to the connection until the first byte of the
    /// next request (the client also has this long to read the response).
    pub idle_timeout: Duration,
    /// Open client connections at most.
    pub max_connections: usize,
}

/// The soft open-files limit of this process (`RLIMIT_NOFILE`), `None` when unlimited or unknown.
#[cfg(unix)]
pub fn open_files_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct it is given, which lives on this stack frame.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    if status != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    Some(limit.rlim_cur)
}

/// No `RLIMIT_NOFILE` off Unix: the cap defaults to what [`max_connections_for`] gives `None`.
#[cfg(not(unix))]
pub fn open_files_limit() -> Option<u64> {
    None
}

/// The connection cap the open-files limit allows: the limit less [`FD_RESERVE`] (at most half
/// of a tiny limit), at least 1; 65,536 when the limit is unknown or unlimited.
pub fn max_connections_for(open_files: Option<u64>) -> usize {
    let Some(limit) = open_files else { return 65_536 };
    let reserve = FD_RESERVE.min(limit / 2);
    usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX).max(1)
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for (or reading) a request head: since accept, or since the first byte of the
    /// next request on a kept-alive connection.
    Head,
    /// Reading the body of a request whose head is complete.
    Body,
    /// The request runs in the engine (or its response is being prepared).
    Busy,
    /// The response was handed over; waiting for the next request.
    Idle,
    /// Chosen to be closed to make room at the cap; its task is closing it.
    Closing,
}

/// One open connection, shared by its task, its socket wrapper, its request handler and the
/// registry.
pub struct Conn {
    phase: Mutex<(Phase, Instant)>,
    /// Wakes the connection's watchdog when its phase changes (its deadline moves).
    changed: Notify,
    /// Tells the connection's task to close it now (the cap needs its place).
    evict: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Conn {
    fn new(now: Instant) -> Conn {
        Conn { phase: Mutex::new((Phase::Head, now)), changed: Notify::new(), evict: Notify::new() }
    }

    /// Moves the connection to `phase` (a connection being closed stays closing).
    pub fn set(&self, phase: Phase) {
        let mut p = lock(&self.phase);
        if p.0 != Phase::Closing && p.0 != phase {
            *p = (phase, Instant::now());
            drop(p);
            self.changed.notify_one();
        }
    }

    /// A byte arrived: an idle connection starts its next request head.
    fn on_read(&self) {
        let mut p = lock(&self.phase);
        if p.0 == Phase::Idle {
            *p = (Phase::Head, Instant::now());
            drop(p);
            self.changed.notify_one();
        }
    }

    fn snapshot(&self) -> (Phase, Instant) {
        *lock(&self.phase)
    }
}

/// When a connection in `phase` since `since` is closed by its watchdog: the header and idle
/// timeouts; none while a body is read (the handler's own timeout answers 408) or the engine runs.
pub fn deadline(phase: Phase, since: Instant, limits: &Limits) -> Option<Instant> {
    match phase {
        Phase::Head => since.checked_add(limits.header_timeout),
        Phase::Idle => since.checked_add(limits.idle_timeout),
        Phase::Body | Phase::Busy | Phase::Closing => None,
    }
}

/// The connection to close to make room at the cap: among those with no request in the engine,
/// one waiting for a request (head or idle) before one sending a body, and among those the one
/// that has been in its phase longest. `None` when every connection runs a request.
pub fn pick_victim<I: IntoIterator<Item = (u64, Phase, Instant)>>(conns: I) -> Option<u64> {
    conns
        .into_iter()
        .filter_map(|(id, phase, since)| match phase {
            Phase::Head | Phase::Idle => Some(((0u8, since), id)),
            Phase::Body => Some(((1u8, since), id)),
            Phase::Busy | Phase::Closing => None,
        })
        .min()
        .map(|(_, id)| id)
}

/// The open connections of a server.
#[derive(Default)]
pub struct Registry {
    open: Mutex<BTreeMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    /// Connections chosen for closing whose task has not removed them yet.
    closing: AtomicU64,
    /// Notified when the last connection is removed.
    empty: Notify,
    /// Notified when a connection chosen for closing is removed (its descriptor is free).
    freed: Notify,
}

impl Registry {
    /// Registers a connection accepted now.
    pub fn insert(&self) -> (u64, Arc<Conn>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn::new(Instant::now()));
        lock(&self.open).insert(id, conn.clone());
        (id, conn)
    }

    /// Forgets a closed connection.
    pub fn remove(&self, id: u64) {
        let mut open = lock(&self.open);
        if let Some(conn) = open.remove(&id) {
            if conn.snapshot().0 == Phase::Closing {
                self.closing.fetch_sub(1, Ordering::Relaxed);
                self.freed.notify_one();
            }
        }
        if open.is_empty() {
            self.empty.notify_one();
        }
    }

    /// Open connections not already being closed.
    pub fn live(&self) -> usize {
        lock(&self.open).len().saturating_sub(self.closing())
    }

    /// Connections chosen for closing that are not closed yet.
    pub fn closing(&self) -> usize {
        usize::try_from(self.closing.load(Ordering::Relaxed)).unwrap_or(usize::MAX)
    }

    /// Waits until fewer than [`MAX_CLOSING`] chosen connections are still open (checked again
    /// at least every 100 ms).
    pub async fn few_closing(&self) {
        while self.closing() >= MAX_CLOSING {
            let freed = self.freed.notified();
            if self.closing() < MAX_CLOSING {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), freed).await;
        }
    }

    /// Closes the connection [`pick_victim`] chooses; false when every connection runs a request.
    pub fn evict_one(&self) -> bool {
        let open = lock(&self.open);
        let victim = pick_victim(open.iter().map(|(id, c)| {
            let (phase, since) = c.snapshot();
            (*id, phase, since)
        }));
        let Some(conn) = victim.and_then(|id| open.get(&id)) else { return false };
        *lock(&conn.phase) = (Phase::Closing, Instant::now());
        self.closing.fetch_add(1, Ordering::Relaxed);
        conn.evict.notify_one();
        true
    }

    /// Waits until every connection is closed.
    pub async fn closed(&self) {
        loop {
            let notified = self.empty.notified();
            if lock(&self.open).is_empty() {
                return;
            }
            notified.await;
        }
    }
}

/// Why a connection's task ended its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The client closed it, or it ended normally (no keep-alive, graceful shutdown).
    Done,
    /// It outstayed its phase's timeout.
    TimedOut(Phase),
    /// The cap needed its place.
    Evicted,
}

/// Waits until `conn` must be closed by the server: its phase's deadline passed, or it was
/// chosen to make room. Runs alongside the connection (never ends while the engine runs its
/// request).
pub async fn watchdog(conn: &Conn, limits: &Limits) -> Ending {
    loop {
        let changed = conn.changed.notified();
        let evicted = conn.evict.notified();
        let (phase, since) = conn.snapshot();
        if phase == Phase::Closing {
            return Ending::Evicted;
        }
        let expiry = deadline(phase, since, limits);
        let sleep = async {
            match expiry {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = sleep => {
                if conn.snapshot() == (phase, since) {
                    return Ending::TimedOut(phase);
                }
            }
            _ = changed => {}
            _ = evicted => return Ending::Evicted,
        }
    }
}

/// A client socket that tells its connection when a byte of a new request arrives.
pub struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl Watched {
    /// Wraps an accepted socket.
    pub fn new(stream: TcpStream, conn: Arc<Conn>) -> Watched {
        Watched { stream, conn }
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.on_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[std::io::IoSlice<'_>]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Whether an `accept` error means this process (or the system) is out of file descriptors or
/// socket memory: a condition that passes when connections close, not a reason to stop.
#[cfg(unix)]
pub fn is_resource_exhaustion(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOBUFS) | Some(libc::ENOMEM))
}

/// Off Unix, `accept` errors are told apart by kind only: out of memory is the one that passes.
#[cfg(not(unix))]
pub fn is_resource_exhaustion(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::OutOfMemory
}

/// Lets a warning through at most once per `every`: under a flood the log keeps one line per
/// period instead of one per connection.
pub struct Throttle {
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl Throttle {
    /// A throttle that lets one event through per `every`.
    pub fn new(every: Duration) -> Throttle {
        Throttle { every, last: Mutex::new(None) }
    }

    /// True when the caller should log now.
    pub fn ready(&self) -> bool {
        let now = Instant::now();
        let mut last = lock(&self.last);
        match *last {
            Some(at) if now.saturating_duration_since(at) < self.every => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { header_timeout: Duration::from_secs(10), body_timeout: Duration::from_secs(30), idle_timeout: Duration::from_secs(60), max_connections: 8 }
    }

    #[test]
    fn the_cap_stays_below_the_open_files_limit() {
        assert_eq!(max_connections_for(Some(1024)), 960);
        assert_eq!(max_connections_for(Some(65_536)), 65_472);
        // A tiny limit keeps half for the server itself, and one connection at least.
        assert_eq!(max_connections_for(Some(40)), 20);
        assert_eq!(max_connections_for(Some(1)), 1);
        assert_eq!(max_connections_for(Some(0)), 1);
        assert_eq!(max_connections_for(None), 65_536);
    }

    #[test]
    fn the_open_files_limit_is_read() {
        // The test process has some finite limit on every CI machine we run on.
        let limit = open_files_limit();
        assert!(limit.is_none_or(|l| l > 0));
    }

    #[test]
    fn heads_and_idle_connections_have_deadlines_bodies_and_busy_ones_not() {
        let t = Instant::now();
        let l = limits();
        assert_eq!(deadline(Phase::Head, t, &l), Some(t + Duration::from_secs(10)));
        assert_eq!(deadline(Phase::Idle, t, &l), Some(t + Duration::from_secs(60)));
        assert_eq!(deadline(Phase::Body, t, &l), None);
        assert_eq!(deadline(Phase::Busy, t, &l), None);
        assert_eq!(deadline(Phase::Closing, t, &l), None);
    }

    #[test]
    fn the_victim_is_the_longest_waiting_connection_without_a_request_in_the_engine() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // The oldest waiting connection goes first, whether idle or still sending its head.
        assert_eq!(pick_victim([(1, Phase::Head, at(5)), (2, Phase::Idle, at(3)), (3, Phase::Head, at(4))]), Some(2));
        assert_eq!(pick_victim([(1, Phase::Head, at(2)), (2, Phase::Idle, at(3))]), Some(1));
        // A connection sending a body goes only when none is waiting, even if it is older.
        assert_eq!(pick_victim([(1, Phase::Body, at(0)), (2, Phase::Head, at(9))]), Some(2));
        assert_eq!(pick_victim([(1, Phase::Body, at(4)), (2, Phase::Body, at(1)), (3, Phase::Busy, at(0))]), Some(2));
        // A request in the engine, or a connection already closing, is never chosen.
        assert_eq!(pick_victim([(1, Phase::Busy, at(0)), (2, Phase::Closing, at(0))]), None);
        assert_eq!(pick_victim(Vec::new()), None);
    }

    #[test]
    fn evicting_marks_one_connection_closing_and_never_the_same_twice() {
        let r = Registry::default();
        let (a, ca) = r.insert();
        let (_b, cb) = r.insert();
        let (_c, cc) = r.insert();
        cc.set(Phase::Busy);
        assert_eq!(r.live(), 3);
        assert!(r.evict_one());
        assert_eq!(ca.snapshot().0, Phase::Closing);
        assert_eq!(r.live(), 2);
        assert!(r.evict_one());
        assert_eq!(cb.snapshot().0, Phase::Closing);
        // Only the busy one is left: nothing to evict.
        assert!(!r.evict_one());
        assert_eq!(r.live(), 1);
        // A closing connection stays closing whatever its handler says.
        ca.set(Phase::Idle);
        assert_eq!(ca.snapshot().0, Phase::Closing);
        r.remove(a);
        assert_eq!(r.live(), 1);
        assert_eq!(r.closing.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn the_accept_loop_waits_while_many_chosen_connections_are_still_open() {
        let r = Registry::default();
        let ids: Vec<u64> = (0..MAX_CLOSING).map(|_| r.insert().0).collect();
        for _ in 0..MAX_CLOSING {
            assert!(r.evict_one());
        }
        assert_eq!(r.closing(), MAX_CLOSING);
        assert!(tokio::time::timeout(Duration::ZERO, r.few_closing()).await.is_err());
        r.remove(ids[0]);
        assert!(tokio::time::timeout(Duration::ZERO, r.few_closing()).await.is_ok());
    }

    #[test]
    fn a_read_starts_the_next_head_only_on_an_idle_connection() {
        let c = Conn::new(Instant::now());
        c.on_read();
        assert_eq!(c.snapshot().0, Phase::Head);
        c.set(Phase::Busy);
        c.on_read();
        assert_eq!(c.snapshot().0, Phase::Busy);
        c.set(Phase::Idle);
        c.on_read();
        assert_eq!(c.snapshot().0, Phase::Head);
    }

    #[test]
    fn the_throttle_lets_one_warning_through_per_period() {
        let t = Throttle::new(Duration::from_secs(3600));
        assert!(t.ready());
        assert!(!t.ready());
    }
}
