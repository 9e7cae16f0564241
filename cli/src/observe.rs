//! What `tenths serve` tells an operator besides its log: the Prometheus metrics of `GET /metrics`
//! (requests by route template and status, latencies, engine operation timings, store sizes, sync
//! outcomes) and the request id of every request (`X-Request-Id`: the client's, or one made here).
//! It decides the metric names and labels, the histogram buckets and which request ids are taken
//! as they are; the routes and their templates are the core router's (decision 65).

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tenths::api::{Observer, Outcome};

/// The route label of a request no route serves (404, 405): one series, whatever the path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The path of the metrics themselves.
pub const METRICS_PATH: &str = "/metrics";

/// The `Content-Type` of the metrics: the OpenMetrics text `prometheus-client` writes, which
/// Prometheus scrapes and the Prometheus text parsers read.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SyncOpLabels {
    outcome: String,
    code: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets: 0.5 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<LatencyLabels>,
    operations: HistogramFamily<OperationLabels>,
    database_bytes: Gauge,
    wal_bytes: Gauge,
    sync_pushes: Counter,
    sync_pulls: Counter,
    sync_operations: Family<SyncOpLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every metric, registered at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("tenths_http_requests", "HTTP requests answered, by method, route template and status", requests.clone());
        let latency: HistogramFamily<LatencyLabels> = Family::new_with_constructor(latency_histogram);
        registry.register("tenths_http_request_duration_seconds", "Time from the request head to the answer, by method and route template", latency.clone());
        let operations: HistogramFamily<OperationLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "tenths_operation_duration_seconds",
            "Time in the router and the engine per operation (operationId) and outcome (ok, refused, failed), without the transport",
            operations.clone(),
        );
        let database_bytes = Gauge::default();
        registry.register("tenths_store_database_bytes", "Size of the SQLite database file, read at scrape time", database_bytes.clone());
        let wal_bytes = Gauge::default();
        registry.register("tenths_store_wal_bytes", "Size of the SQLite write-ahead log, read at scrape time", wal_bytes.clone());
        let sync_pushes = Counter::default();
        registry.register("tenths_sync_pushes", "Sync pushes answered 200", sync_pushes.clone());
        let sync_pulls = Counter::default();
        registry.register("tenths_sync_pulls", "Sync pull pages answered 200", sync_pulls.clone());
        let sync_operations = Family::<SyncOpLabels, Counter>::default();
        registry.register(
            "tenths_sync_operations",
            "Pushed operations by outcome (applied, conflict, rejected) and refusal code; a device quarantines the rejected ones",
            sync_operations.clone(),
        );
        Metrics { registry, requests, latency, operations, database_bytes, wal_bytes, sync_pushes, sync_pulls, sync_operations }
    }

    /// Counts one answered request. `route` is the template of the route that served it, or
    /// `None` (counted as [`UNMATCHED_ROUTE`]); `body` is the answer's, read for the sync routes.
    pub fn record_request(&self, method: &str, route: Option<&str>, status: u16, elapsed: Duration, body: &[u8]) {
        let route = route.unwrap_or(UNMATCHED_ROUTE);
        self.requests.get_or_create(&RequestLabels { method: method.to_string(), route: route.to_string(), status }).inc();
        self.latency.get_or_create(&LatencyLabels { method: method.to_string(), route: route.to_string() }).observe(elapsed.as_secs_f64());
        if status == 200 && route.ends_with("/sync/push") {
            self.sync_pushes.inc();
            self.record_push_results(body);
        } else if status == 200 && route.ends_with("/sync/changes") {
            self.sync_pulls.inc();
        }
    }

    /// Counts the operations of a push answer (`results[].outcome`, `results[].code`).
    fn record_push_results(&self, body: &[u8]) {
        let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else { return };
        for result in answer.get("results").and_then(|r| r.as_array()).into_iter().flatten() {
            let text = |name: &str| result.get(name).and_then(|v| v.as_str()).unwrap_or("").to_string();
            self.sync_operations.get_or_create(&SyncOpLabels { outcome: text("outcome"), code: text("code") }).inc();
        }
    }

    /// The metrics in the OpenMetrics text format, with the store sizes read now.
    pub fn render(&self, sizes: Option<tenths::store::StoreSizes>) -> String {
        if let Some(sizes) = sizes {
            self.database_bytes.set(i64::try_from(sizes.database_bytes).unwrap_or(i64::MAX));
            self.wal_bytes.set(i64::try_from(sizes.wal_bytes).unwrap_or(i64::MAX));
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "encoding the metrics failed");
        }
        out
    }
}

/// The engine operation timings: the router's observer.
pub struct OperationTimings(pub Arc<Metrics>);

impl Observer for OperationTimings {
    fn on_operation(&self, operation: &'static str, duration: Duration, outcome: Outcome) {
        self.0
            .operations
            .get_or_create(&OperationLabels { operation: operation.to_string(), outcome: outcome.as_str().to_string() })
            .observe(duration.as_secs_f64());
    }
}

/// The longest client request id taken as it is.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The request id of a request: the client's `X-Request-Id` when it is 1 to
/// [`MAX_REQUEST_ID_LEN`] visible ASCII characters (so it is safe in a header and a log line),
/// otherwise a new one. Never a refusal: a request is not failed for its id.
pub fn request_id(given: Option<&str>) -> String {
    match given {
        Some(id) if !id.is_empty() && id.len() <= MAX_REQUEST_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic()) => id.to_string(),
        _ => new_request_id(),
    }
}

/// A new request id, 32 hex characters: 8 bytes drawn at random once per process, then a
/// counter. Unique within the process and, by the random half, across processes and restarts.
/// A request id correlates an answer with its log line and guards nothing, so it need not be
/// unpredictable; fresh randomness per request cost a system call and sixteen allocations.
pub fn new_request_id() -> String {
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 8];
        match getrandom::fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            // No entropy source (never seen on the supported systems): the start time.
            Err(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() ^ u64::from(d.subsec_nanos()) << 32),
        }
    });
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix:016x}{n:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_taken_or_made() {
        assert_eq!(request_id(Some("abc-123_X.Y:z")), "abc-123_X.Y:z");
        let longest = "a".repeat(MAX_REQUEST_ID_LEN);
        assert_eq!(request_id(Some(&longest)), longest);
        for bad in [None, Some(""), Some("has space"), Some("tab\there"), Some("é"), Some("x\u{7f}")] {
            let made = request_id(bad);
            assert_eq!(made.len(), 32, "{bad:?}");
            assert!(made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
        }
        let too_long = "a".repeat(MAX_REQUEST_ID_LEN + 1);
        assert_ne!(request_id(Some(&too_long)), too_long);
        assert_ne!(new_request_id(), new_request_id());
    }

    #[test]
    fn metrics_by_template_and_sync_outcomes() {
        let m = Metrics::new();
        let push = "/api/v1/public/customers/{customerId}/users/{userId}/sync/push";
        let answer = br#"{"batchId":"x","results":[{"outcome":"applied"},{"outcome":"rejected","code":"locked"}]}"#;
        m.record_request("POST", Some(push), 200, Duration::from_millis(3), answer);
        m.record_request("GET", None, 404, Duration::from_millis(1), b"");
        let text = m.render(Some(tenths::store::StoreSizes { database_bytes: 4096, wal_bytes: 8 }));
        for line in [
            "tenths_http_requests_total{method=\"POST\",route=\"/api/v1/public/customers/{customerId}/users/{userId}/sync/push\",status=\"200\"} 1",
            "tenths_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
            "tenths_sync_pushes_total 1",
            "tenths_sync_operations_total{outcome=\"rejected\",code=\"locked\"} 1",
            "tenths_sync_operations_total{outcome=\"applied\",code=\"\"} 1",
            "tenths_store_database_bytes 4096",
            "tenths_store_wal_bytes 8",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
