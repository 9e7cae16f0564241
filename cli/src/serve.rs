//! `tenths serve`: the engine's router behind a real HTTP listener (axum on tokio). The server
//! only moves bytes: every request is handed whole to `Engine::request` on the blocking pool, so
//! a slow SQLite commit never stalls the async workers. It reads bodies itself to answer an
//! oversize one with the API's error body, logs one line per request, and on SIGINT/SIGTERM
//! stops accepting, finishes in-flight requests, then closes the database cleanly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request as AxumRequest, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response as AxumResponse;
use tenths::api::{Hs256Verifier, Request, Response, MAX_BODY_BYTES};
use tenths::{Engine, TenthsError};

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
    pub jwt_secret: String,
    /// Test hook: honour `X-Tenths-Fault: panic` (see `Engine::enable_fault_injection`).
    pub fault_injection: bool,
}

fn too_large() -> Response {
    tenths::api::error_response(&TenthsError::TooLarge { reason: format!("the body is over {MAX_BODY_BYTES} bytes") })
}

fn to_axum(r: Response) -> AxumResponse {
    let mut builder = axum::http::Response::builder().status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &r.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            builder = builder.header(n, v);
        }
    }
    builder.body(Body::from(r.body)).unwrap_or_else(|_| AxumResponse::new(Body::empty()))
}

/// What every request runs against: the engine and the router that holds the token verifier.
struct App {
    engine: Engine,
    router: tenths::api::Router,
}

async fn handle(State(app): State<Arc<App>>, req: AxumRequest) -> AxumResponse {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let headers: Vec<(String, String)> = req.headers().iter().filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str().to_string(), v.to_string()))).collect();
    let body: Result<Bytes, _> = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await;
    let response = match body {
        Err(_) => too_large(),
        Ok(body) => {
            let request = Request { method: method.clone(), path: path.clone(), headers, body: body.to_vec(), principal: None };
            let app = app.clone();
            match tokio::task::spawn_blocking(move || app.router.handle(&app.engine, &request)).await {
                Ok(r) => r,
                Err(e) => tenths::api::error_response(&TenthsError::Storage { reason: format!("request task failed: {e}") }),
            }
        }
    };
    let route = path.split('?').next().unwrap_or("");
    if response.status >= 500 {
        // A 5xx is either a passing condition (503: busy, disk full, closed) or a bug (500):
        // an operator sees both at `RUST_LOG=warn`.
        let message = response.body_json().pointer("/error/message").and_then(|m| m.as_str()).unwrap_or("").to_string();
        tracing::warn!(method = %method, path = %route, status = response.status, message = %message, "request failed");
    }
    tracing::info!(method = %method, path = %route, status = response.status, micros = started.elapsed().as_micros() as u64, bytes = response.body.len(), "request");
    to_axum(response)
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

/// Runs the server until SIGINT/SIGTERM. Prints `listening on http://ADDR` once bound.
pub fn run(config: ServeConfig) -> Result<(), String> {
    let verifier = Hs256Verifier::new(config.jwt_secret.as_bytes()).map_err(|e| e.to_string())?;
    let engine = open_store(&config)?;
    let router = tenths::api::Router::new();
    router.set_token_verifier(Some(Arc::new(verifier)));
    router.enable_fault_injection(config.fault_injection);
    let app = Arc::new(App { engine, router });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let service = axum::Router::new().fallback(handle).with_state(app.clone());
        let listener = tokio::net::TcpListener::bind(config.addr).await.map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on http://{local}");
        // The engine's description names the database, never a password.
        tracing::info!(addr = %local, db = ?app.engine, "tenths serve started");
        axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await.map_err(|e| e.to_string())
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    app.engine.close().map_err(|e| format!("closing the database failed: {e}"))?;
    tracing::info!("database closed; bye");
    Ok(())
}

/// Whether `--db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgresql://") || db.starts_with("postgres://")
}

/// Opens the engine of `--db`: a PostgreSQL URL on the PostgreSQL backend (its errors never
/// repeat the URL, which may hold a password), anything else as a SQLite file.
pub fn open_store(config: &ServeConfig) -> Result<Engine, String> {
    match config.db.to_str().filter(|db| is_postgres_url(db)) {
        Some(url) => {
            let options = tenths_postgres::PgOptions {
                pool_size: config.pg_pool_size,
                statement_timeout_ms: config.pg_statement_timeout_ms,
                ..tenths_postgres::PgOptions::default()
            };
            tenths_postgres::open(url, options).map_err(|e| format!("cannot open the PostgreSQL database of --db: {e}"))
        }
        None => Engine::open(&config.db).map_err(|e| format!("cannot open {}: {e}", config.db.display())),
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
