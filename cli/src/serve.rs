//! `tenths serve`: the engine's router behind a real HTTP/1.1 listener (hyper on tokio, our own
//! accept loop). The server only moves bytes: every request is handed whole to `Engine::request`
//! on the blocking pool, so a slow SQLite commit never stalls the async workers. It reads bodies
//! itself to answer an oversize one (413) or a late one (408) with the API's error body, logs one
//! line per request, keeps its connections under the timeouts and the cap of [`crate::conns`]
//! (an idle or slow client never starves the others), and on SIGINT/SIGTERM stops accepting,
//! finishes in-flight requests, then closes the database cleanly.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tenths::api::{EitherVerifier, Hs256Verifier, JwksOptions, Request, Response, Role, Verifier, MAX_BODY_BYTES};
use tenths::{Engine, TenthsError};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;

use crate::conns::{self, Conn, Ending, Limits, Phase, Registry, Throttle, Watched};
use crate::observe::{self, Metrics};

/// Who may read `GET /metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Not served (`--no-metrics`): `/metrics` is a 404 like any unknown path.
    Off,
    /// Anyone who can reach the port (the default: scrapers carry no token).
    Open,
    /// A bearer token of an admin (`--metrics-auth`).
    Admin,
}

/// Where `tenths serve` takes an identity provider's keys from (`--jwks`).
#[derive(Debug, Clone)]
pub struct JwksConfig {
    /// A file path or an `http(s)://` URL.
    pub source: String,
    /// How often the source is read again.
    pub refresh: Duration,
    /// The `iss` and `aud` tokens must name.
    pub options: JwksOptions,
}

/// What `tenths serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// A SQLite file, or a PostgreSQL URL (`postgresql://user:pass@host:port/dbname`).
    pub db: PathBuf,
    /// PostgreSQL: connections of the pool.
    pub pg_pool_size: u32,
    /// PostgreSQL: longest a statement may run, ms (0: no limit).
    pub pg_statement_timeout_ms: u64,
    pub addr: SocketAddr,
    /// The HS256 secret; optional when `jwks` is given (decision 68).
    pub jwt_secret: Option<String>,
    /// The identity provider's keys (RS256/ES256 tokens).
    pub jwks: Option<JwksConfig>,
    /// Who may read `GET /metrics`.
    pub metrics: MetricsAccess,
    /// Test hook: honour `X-Tenths-Fault: panic` (see `Engine::enable_fault_injection`).
    pub fault_injection: bool,
    /// Connection timeouts; the cap is `None` for "as many as the open-files limit allows".
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: Option<usize>,
    /// Run `PRAGMA quick_check` at open and refuse a damaged file (decision 51).
    pub check_integrity: bool,
    /// The hosts a webhook subscription may target although their addresses are forbidden.
    pub webhook_hosts: tenths::rules::webhooks::AllowedHosts,
    /// The webhook delivery worker (`None`: not run by this process).
    pub webhooks: Option<crate::webhooks::WebhookConfig>,
    /// SQLite: concurrent writes share one durable commit (decision 101; `--no-group-commit`
    /// turns it off).
    pub group_commit: bool,
}

fn too_large() -> Response {
    tenths::api::error_response(&TenthsError::TooLarge { reason: format!("the body is over {MAX_BODY_BYTES} bytes") })
}

/// 408: the body did not arrive within the body timeout. The API's error body with the code
/// `request_timeout` (a transport condition, not an engine error); the connection is closed.
fn body_timed_out(timeout: Duration) -> Response {
    let message = format!("the request body did not arrive within {} s", timeout.as_secs());
    let body = serde_json::json!({ "error": { "code": "request_timeout", "message": message } });
    let headers = vec![("Content-Type".to_string(), "application/json".to_string()), ("Connection".to_string(), "close".to_string())];
    Response { status: 408, headers, body: body.to_string().into_bytes() }
}

fn to_http(r: Response) -> axum::http::Response<Body> {
    let mut builder = axum::http::Response::builder().status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &r.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            builder = builder.header(n, v);
        }
    }
    builder.body(Body::from(r.body)).unwrap_or_else(|_| axum::http::Response::new(Body::empty()))
}

/// What every request runs against: the engine, the router that holds the token verifier, the
/// verifier itself (for `--metrics-auth`) and the metrics.
struct App {
    engine: Engine,
    router: tenths::api::Router,
    verifier: Arc<dyn Verifier>,
    metrics: Option<Arc<Metrics>>,
    metrics_access: MetricsAccess,
}

/// The engine of the app, for the webhook worker's threads.
struct EngineOf(Arc<App>);

impl std::ops::Deref for EngineOf {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.0.engine
    }
}

/// The method as a metrics label: the standard ones as they are, any other as `OTHER` (a client
/// cannot grow the series without bound).
fn method_label(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "OTHER",
    }
}

impl App {
    /// `GET /metrics`, when it is served: `None` hands the request to the router.
    fn metrics_answer(&self, method: &str, path: &str, headers: &[(String, String)]) -> Option<Response> {
        let metrics = self.metrics.as_ref()?;
        if path.split('?').next() != Some(observe::METRICS_PATH) || method != "GET" {
            return None;
        }
        if self.metrics_access == MetricsAccess::Admin {
            let bearer = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("authorization")).and_then(|(_, v)| v.strip_prefix("Bearer "));
            let refused = match bearer.map(|t| self.verifier.verify(t.trim())) {
                None => Some(TenthsError::Unauthenticated { reason: "the metrics need an admin's bearer token".into() }),
                Some(Err(e)) => Some(e),
                Some(Ok(p)) if p.role != Role::Admin => Some(TenthsError::PermissionDenied { reason: "the metrics are for admins".into() }),
                Some(Ok(_)) => None,
            };
            if let Some(e) = refused {
                return Some(tenths::api::error_response(&e));
            }
        }
        let body = metrics.render(self.engine.store_sizes()).into_bytes();
        Some(Response { status: 200, headers: vec![("Content-Type".into(), observe::METRICS_CONTENT_TYPE.into())], body })
    }
}

/// What every connection task shares: the app, the open connections and their limits.
struct Server {
    app: Arc<App>,
    registry: Registry,
    limits: Limits,
}

/// Serves one request of connection `conn`: reads the body (within the body timeout), runs the
/// request in the engine on the blocking pool, logs it.
async fn handle(app: Arc<App>, conn: Arc<Conn>, body_timeout: Duration, req: axum::http::Request<Incoming>) -> axum::http::Response<Body> {
    let started = Instant::now();
    conn.set(Phase::Body);
    let method = req.method().as_str().to_string();
    let path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    // Every header reaches the router, a value that is not visible ASCII decoded lossily: the
    // router refuses what it does not accept (an `Idempotency-Key` of other bytes is a 400),
    // instead of the request being served as if the header had not been sent.
    let headers: Vec<(String, String)> =
        req.headers().iter().map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let request_id = observe::request_id(req.headers().get("x-request-id").and_then(|v| v.to_str().ok()));
    let body = tokio::time::timeout(body_timeout, axum::body::to_bytes(Body::new(req.into_body()), MAX_BODY_BYTES)).await;
    conn.set(Phase::Busy);
    let metrics_answer = app.metrics_answer(&method, &path, &headers);
    let served_metrics = metrics_answer.is_some();
    let mut response = match (body, metrics_answer) {
        (Err(_), _) => body_timed_out(body_timeout),
        (Ok(Err(_)), _) => too_large(),
        (Ok(Ok(_)), Some(answer)) => answer,
        (Ok(Ok(body)), None) => {
            let request =
                Request { method: method.clone(), path: path.clone(), headers, body: body.to_vec(), principal: None, request_id: Some(request_id.clone()) };
            let app = app.clone();
            match tokio::task::spawn_blocking(move || app.router.handle(&app.engine, &request)).await {
                Ok(r) => r,
                Err(e) => tenths::api::error_response(&TenthsError::Storage { reason: format!("request task failed: {e}") }),
            }
        }
    };
    let route = path.split('?').next().unwrap_or("");
    if let Some(metrics) = &app.metrics {
        let template = if served_metrics { Some(observe::METRICS_PATH) } else { app.router.route_template(&method, route) };
        metrics.record_request(method_label(&method), template, response.status, started.elapsed(), &response.body);
    }
    if response.status >= 500 {
        // A 5xx is either a passing condition (503: busy, disk full, closed) or a bug (500):
        // an operator sees both at `RUST_LOG=warn`.
        let message = response.body_json().pointer("/error/message").and_then(|m| m.as_str()).unwrap_or("").to_string();
        tracing::warn!(method = %method, path = %route, status = response.status, request_id = %request_id, message = %message, "request failed");
    }
    tracing::info!(method = %method, path = %route, status = response.status, micros = started.elapsed().as_micros() as u64, bytes = response.body.len(), request_id = %request_id, "request");
    response.headers.push(("X-Request-Id".into(), request_id));
    conn.set(Phase::Idle);
    to_http(response)
}

/// Runs one connection until the client closes it, it ends, it outstays a timeout, the cap
/// needs its place, or (after a shutdown request) its in-flight request is answered.
async fn serve_connection(server: Arc<Server>, id: u64, conn: Arc<Conn>, stream: TcpStream, mut shutdown: watch::Receiver<bool>) {
    let limits = server.limits;
    let peer = stream.peer_addr().ok();
    let io = TokioIo::new(Watched::new(stream, conn.clone()));
    let (service_server, service_conn) = (server.clone(), conn.clone());
    // Answers are compressed (gzip or zstd, as the client's Accept-Encoding prefers; bodies of
    // 32 bytes or fewer as they are) by tower-http's middleware, which streams the compressed
    // body chunked in place of the Content-Length (decision 88).
    let service = tower::ServiceBuilder::new().layer(CompressionLayer::new()).service_fn(move |req: axum::http::Request<Incoming>| {
        let (app, conn) = (service_server.app.clone(), service_conn.clone());
        async move { Ok::<_, Infallible>(handle(app, conn, limits.body_timeout, req).await) }
    });
    let service = TowerToHyperService::new(service);
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Our watchdog (conns.rs) runs the header and idle timeouts; hyper's own would need a timer.
    builder.header_read_timeout(None);
    let http = builder.serve_connection(io, service);
    tokio::pin!(http);
    let mut draining = false;
    let watchdog = conns::watchdog(&conn, &limits);
    tokio::pin!(watchdog);
    let ending = loop {
        if !draining && *shutdown.borrow() {
            draining = true;
            http.as_mut().graceful_shutdown();
        }
        tokio::select! {
            result = http.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(peer = ?peer, error = %e, "connection error");
                }
                break Ending::Done;
            }
            ending = &mut watchdog => break ending,
            changed = shutdown.changed(), if !draining => {
                if changed.is_err() {
                    draining = true;
                    http.as_mut().graceful_shutdown();
                }
            }
        }
    };
    match ending {
        Ending::Done => {}
        Ending::TimedOut(phase) => tracing::debug!(peer = ?peer, phase = ?phase, "connection closed: timeout"),
        Ending::Evicted => tracing::debug!(peer = ?peer, "connection closed: the connection cap needed its place"),
    }
    server.registry.remove(id);
}

/// 503 to a connection refused at the cap (every open connection runs a request): written
/// without waiting, then the socket is closed.
fn refuse(stream: TcpStream) {
    let r = tenths::api::error_response(&TenthsError::Unavailable { reason: "the server is at its connection cap; retry shortly".into() });
    let mut head = String::from("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n");
    for (name, value) in &r.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&r.body);
    let _ = stream.try_write(&bytes);
}

/// Accepts connections until `stop` resolves. Never stops on an accept error: out of file
/// descriptors, it closes the longest-waiting connection and retries shortly (no busy loop).
async fn accept_loop(listener: tokio::net::TcpListener, server: Arc<Server>, shutdown: watch::Receiver<bool>, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    let (registry, limits) = (&server.registry, server.limits);
    let at_cap = Throttle::new(Duration::from_secs(10));
    let exhausted = Throttle::new(Duration::from_secs(10));
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            // Connections closed to make room still hold their descriptor until their task
            // runs: take no more until few of them are left (bounds the descriptor count).
            accepted = async {
                registry.few_closing().await;
                listener.accept().await
            } => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                if registry.live() >= limits.max_connections {
                    if registry.evict_one() {
                        if at_cap.ready() {
                            tracing::warn!(
                                max_connections = limits.max_connections,
                                "connection cap reached: closing the longest-waiting connections to make room"
                            );
                        }
                    } else {
                        if at_cap.ready() {
                            tracing::warn!(
                                max_connections = limits.max_connections,
                                "connection cap reached with every connection running a request: answering 503"
                            );
                        }
                        refuse(stream);
                        continue;
                    }
                }
                let _ = stream.set_nodelay(true);
                // Registered here, not in its task, so a burst of accepts counts every one.
                let (id, conn) = registry.insert();
                tokio::spawn(serve_connection(server.clone(), id, conn, stream, shutdown.clone()));
            }
            Err(e) if conns::is_resource_exhaustion(&e) => {
                if exhausted.ready() {
                    tracing::warn!(error = %e, open = registry.live(), "accept failed: out of file descriptors; closing the longest-waiting connection");
                }
                registry.evict_one();
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => {
                // A connection that failed before we took it (reset, aborted): take the next.
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}

/// The connection cap: `requested`, or what the open-files limit allows, whichever is lower.
fn connection_cap(requested: Option<usize>) -> usize {
    let open_files = conns::open_files_limit();
    let allowed = conns::max_connections_for(open_files);
    match requested {
        Some(n) if n > allowed => {
            tracing::warn!(requested = n, allowed, open_files = ?open_files, "--max-connections is over what the open-files limit allows (ulimit -n); using the lower cap");
            allowed
        }
        Some(n) => n.max(1),
        None => allowed,
    }
}

/// The token verifier of the flags: HS256 with the secret, the JWKS keys (kept fresh), or both
/// (an HS256 token goes to the secret, any other to the keys). A JWKS that cannot be read or
/// parsed is an error: the server does not start.
fn verifier_of(config: &ServeConfig) -> Result<Arc<dyn Verifier>, String> {
    let hs256 = match config.jwt_secret.as_deref().filter(|s| !s.is_empty()) {
        Some(secret) => Some(Hs256Verifier::new(secret.as_bytes()).map_err(|e| e.to_string())?),
        None => None,
    };
    let jwks = match &config.jwks {
        Some(j) => {
            let verifier = crate::jwks::load(&j.source, j.options.clone())?;
            crate::jwks::keep_fresh(j.source.clone(), verifier.clone(), j.refresh);
            Some(verifier)
        }
        None => None,
    };
    match (hs256, jwks) {
        (Some(hs256), Some(jwks)) => Ok(Arc::new(EitherVerifier { hs256, jwks })),
        (Some(hs256), None) => Ok(Arc::new(hs256)),
        (None, Some(jwks)) => Ok(jwks),
        (None, None) => Err("a JWT secret or a JWKS is required: pass --jwt-secret (or set TENTHS_JWT_SECRET) or --jwks".into()),
    }
}

/// Runs the server until SIGINT/SIGTERM. Prints `listening on http://ADDR` once bound.
pub fn run(config: ServeConfig) -> Result<(), String> {
    let verifier = verifier_of(&config)?;
    let engine = open_store(&config)?;
    let router = tenths::api::Router::new();
    router.set_token_verifier(Some(verifier.clone()));
    router.enable_fault_injection(config.fault_injection);
    let metrics = (config.metrics != MetricsAccess::Off).then(|| Arc::new(Metrics::new()));
    if let Some(metrics) = &metrics {
        router.set_observer(Some(Arc::new(observe::OperationTimings(metrics.clone()))));
    }
    engine.set_webhook_allowed_hosts(config.webhook_hosts.clone());
    let app = Arc::new(App { engine, router, verifier, metrics, metrics_access: config.metrics });
    let stop_webhooks = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let webhook_threads = match &config.webhooks {
        Some(w) => crate::webhooks::spawn(Arc::new(EngineOf(app.clone())), w.clone(), stop_webhooks.clone()),
        None => Vec::new(),
    };
    let limits = Limits {
        header_timeout: config.header_timeout,
        body_timeout: config.body_timeout,
        idle_timeout: config.idle_timeout,
        max_connections: connection_cap(config.max_connections),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr).await.map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on http://{local}");
        // The engine's description names the database, never a password.
        tracing::info!(addr = %local, db = ?app.engine, max_connections = limits.max_connections, header_timeout_s = limits.header_timeout.as_secs(), body_timeout_s = limits.body_timeout.as_secs(), idle_timeout_s = limits.idle_timeout.as_secs(), "tenths serve started");
        let server = Arc::new(Server { app: app.clone(), registry: Registry::default(), limits });
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        accept_loop(listener, server.clone(), shutdown_rx, shutdown_signal()).await;
        // Stop accepting (the listener is dropped), let idle connections close and in-flight
        // requests finish; the timeouts bound every connection that is still open.
        let _ = shutdown_tx.send(true);
        server.registry.closed().await;
        Ok::<(), String>(())
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    // The delivery threads finish the attempt they are in (bounded by --webhook-timeout).
    stop_webhooks.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in webhook_threads {
        let _ = t.join();
    }
    app.engine.close().map_err(|e| format!("closing the database failed: {e}"))?;
    tracing::info!("database closed; bye");
    Ok(())
}

/// Parses a timeout flag (`10s`, `2m`, as [`parse_ttl`]).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    parse_ttl(s).map(|secs| Duration::from_secs(secs.unsigned_abs()))
}

/// Opens the engine of `--db`: a PostgreSQL URL on the PostgreSQL backend (its errors never
/// repeat the URL, which may hold a password), anything else as a SQLite file.
pub fn open_store(config: &ServeConfig) -> Result<Engine, String> {
    match config.db.to_str().filter(|db| tenths_postgres::is_url(db)) {
        Some(url) => {
            let options = tenths_postgres::PgOptions {
                pool_size: config.pg_pool_size,
                statement_timeout_ms: config.pg_statement_timeout_ms,
                ..tenths_postgres::PgOptions::default()
            };
            tenths_postgres::open(url, options).map_err(|e| format!("cannot open the PostgreSQL database of --db: {e}"))
        }
        None => {
            let group_commit = config.group_commit.then(tenths::GroupCommit::default);
            let options = tenths::OpenOptions { check_integrity: config.check_integrity, group_commit, ..tenths::OpenOptions::default() };
            Engine::open_with(&config.db, options, Arc::new(tenths::SystemClock)).map_err(|e| match e.kind() {
                tenths::ErrorKind::Corrupt => {
                    format!("cannot serve {}: {e} (--skip-integrity-check serves it anyway, read-only once a request meets the damage)", config.db.display())
                }
                _ => format!("cannot open {}: {e}", config.db.display()),
            })
        }
    }
}

/// Parses a duration such as `90s`, `30m`, `1h` or `7d` into seconds.
pub fn parse_ttl(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().map_err(|_| format!("bad duration {s:?}: expected e.g. 90s, 30m, 1h, 7d"))?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("bad duration unit in {s:?}: use s, m, h or d")),
    };
    n.checked_mul(mult).filter(|v| *v > 0).ok_or_else(|| format!("duration {s:?} out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90s"), Ok(90));
        assert_eq!(parse_ttl("30m"), Ok(1800));
        assert_eq!(parse_ttl("1h"), Ok(3600));
        assert_eq!(parse_ttl("7d"), Ok(604_800));
        assert_eq!(parse_ttl("45"), Ok(45));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
