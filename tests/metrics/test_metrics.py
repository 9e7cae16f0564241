"""GET /metrics of a real `tenths serve`, parsed with prometheus_client's parser (decision 65).

Starts the binary named by TENTHS_BIN on a fresh database, makes requests (imports, a create, a
list, a 404, a sync push and pull, a metrics scrape), then asserts the request counters and
latency histograms by route template and status, the engine operation timings, the store size
gauges and the sync counters; and that X-Request-Id is echoed when given and made otherwise.
Also checks `--metrics-auth` (admin token needed) and `--no-metrics` (404).
"""

import json
import os
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

BIN = os.environ["TENTHS_BIN"]
SECRET = "metrics-secret"
C = "64b7f0c2a1b2c3d4e5f60001"
U = "64b7f0c2a1b2c3d4e5f60002"
USER_BASE = f"/api/v1/public/customers/{C}/users/{U}"
USER_TEMPLATE = "/api/v1/public/customers/{customerId}/users/{userId}"


def token(role: str, user: str = U) -> str:
    out = subprocess.run([BIN, "token", "--secret", SECRET, "--customer", C, "--user", user, "--role", role], check=True, capture_output=True, text=True)
    return out.stdout.strip()


class Serve:
    def __init__(self, *flags: str) -> None:
        self.dir = tempfile.TemporaryDirectory()
        db = os.path.join(self.dir.name, "metrics.sqlite")
        self.proc = subprocess.Popen([BIN, "serve", "--db", db, "--addr", "127.0.0.1:0", "--jwt-secret", SECRET, *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        self.base = self.proc.stdout.readline().strip().removeprefix("listening on ")

    def call(self, method: str, path: str, tok: str | None = None, body: object = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(self.base + path, method=method, data=None if body is None else json.dumps(body).encode())
        if tok:
            req.add_header("Authorization", f"Bearer {tok}")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.dir.cleanup()


def sample(families: list, family: str, name: str, **labels: str) -> float:
    """The value of sample `name` with `labels`. The classic Prometheus parser files a counter's
    `_total` samples under a family of their own name (the text is OpenMetrics, where the TYPE
    line names the counter without `_total`), so every family is searched."""
    del family
    found = [s for f in families for s in f.samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    if len(found) != 1:
        raise AssertionError(f"{len(found)} samples {name} {labels} in {[(s.name, s.labels, s.value) for f in families for s in f.samples if s.name == name]}")
    return float(found[0].value)


class MetricsTest(unittest.TestCase):
    def test_metrics_after_traffic(self) -> None:
        serve = Serve()
        try:
            connector, lawyer = token("connector", "64b7f0c2a1b2c3d4e5f600cc"), token("user")
            self.assertIn(serve.call("POST", f"/api/v1/customers/{C}/clients/import", connector, {"externalId": "CL-1", "name": "Acme"})[0], (200, 201))
            st, _, body = serve.call("POST", f"/api/v1/customers/{C}/initiatives/import", connector,
                                     {"externalId": "M-1", "name": "Acme v. W", "clientExternalId": "CL-1", "billingType": "billable", "unitIncrements": 360})
            self.assertIn(st, (200, 201), body)
            matter = json.loads(body)["_id"]
            st, _, body = serve.call("POST", f"{USER_BASE}/entries", lawyer, {"initiativeId": matter, "summary": "Reviewed", "durationInSeconds": 1500})
            self.assertIn(st, (200, 201), body)
            created = str(st)
            for _ in range(2):
                self.assertEqual(serve.call("GET", f"{USER_BASE}/entries?workDateFrom=2000-01-01&workDateTo=2100-01-01", lawyer)[0], 200)
            self.assertEqual(serve.call("GET", "/no/such/route")[0], 404)
            st, _, body = serve.call("POST", f"{USER_BASE}/sync/push", lawyer, {"batchId": "64b7f0c2a1b2c3d4e5f6b001", "ops": []})
            self.assertEqual(st, 200, body)
            st, _, body = serve.call("GET", f"{USER_BASE}/sync/changes?protocolVersion=2", lawyer)
            self.assertEqual(st, 200, body)

            # X-Request-Id: echoed when given, made (32 hex) otherwise or when unusable.
            _, headers, _ = serve.call("GET", "/healthz", headers={"X-Request-Id": "trace-42"})
            self.assertEqual(headers["x-request-id"], "trace-42")
            for given in ({}, {"X-Request-Id": "x" * 129}):
                _, headers, _ = serve.call("GET", "/healthz", headers=given)
                made = headers["x-request-id"]
                self.assertEqual(len(made), 32, made)
                int(made, 16)

            st, headers, body = serve.call("GET", "/metrics")
            self.assertEqual(st, 200)
            self.assertTrue(headers["content-type"].startswith("application/openmetrics-text"))
            text = body.decode()
            # A list, not a dict by name: the classic parser may give one name several families.
            families = list(text_string_to_metric_families(text))
            # The OpenMetrics parser of the same package reads it too, with the declared types.
            types = {f.name: f.type for f in openmetrics_families(text)}
            self.assertEqual(types["tenths_http_requests"], "counter")
            self.assertEqual(types["tenths_http_request_duration_seconds"], "histogram")
            self.assertEqual(types["tenths_operation_duration_seconds"], "histogram")
            self.assertEqual(types["tenths_store_wal_bytes"], "gauge")

            requests = "tenths_http_requests"
            self.assertEqual(sample(families, requests, "tenths_http_requests_total", method="GET", route=f"{USER_TEMPLATE}/entries", status="200"), 2)
            self.assertEqual(sample(families, requests, "tenths_http_requests_total", method="POST", route=f"{USER_TEMPLATE}/entries", status=created), 1)
            self.assertEqual(sample(families, requests, "tenths_http_requests_total", method="GET", route="unmatched", status="404"), 1)
            latency = "tenths_http_request_duration_seconds"
            self.assertEqual(sample(families, latency, f"{latency}_count", method="GET", route=f"{USER_TEMPLATE}/entries"), 2)
            self.assertEqual(sample(families, latency, f"{latency}_bucket", method="GET", route=f"{USER_TEMPLATE}/entries", le="+Inf"), 2)
            ops = "tenths_operation_duration_seconds"
            # The two lists, by operationId; the 404 reached no operation.
            listed = [s for f in families for s in f.samples if s.name == f"{ops}_count" and s.labels["outcome"] == "ok" and s.value == 2]
            self.assertEqual(len(listed), 1, listed)
            self.assertEqual(sample(families, ops, f"{ops}_count", operation="syncPush", outcome="ok"), 1)
            self.assertGreater(sample(families, "tenths_store_database_bytes", "tenths_store_database_bytes"), 0)
            self.assertGreater(sample(families, "tenths_store_wal_bytes", "tenths_store_wal_bytes"), 0)
            self.assertEqual(sample(families, "tenths_sync_pushes", "tenths_sync_pushes_total"), 1)
            self.assertEqual(sample(families, "tenths_sync_pulls", "tenths_sync_pulls_total"), 1)
        finally:
            serve.close()

    def test_metrics_auth_and_off(self) -> None:
        serve = Serve("--metrics-auth")
        try:
            self.assertEqual(serve.call("GET", "/metrics")[0], 401)
            self.assertEqual(serve.call("GET", "/metrics", token("user"))[0], 403)
            self.assertEqual(serve.call("GET", "/metrics", token("admin"))[0], 200)
        finally:
            serve.close()
        serve = Serve("--no-metrics")
        try:
            self.assertEqual(serve.call("GET", "/metrics")[0], 404)
        finally:
            serve.close()


if __name__ == "__main__":
    unittest.main()
