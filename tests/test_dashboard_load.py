"""A bounded load test of the dashboard: 20 clients on 127.0.0.1 for 30 s, pages and the Compare callback, no errors."""

import json
import logging
import statistics
import threading
import time
import urllib.request

import pytest

from ecosim.dashboard import make_server
from test_dashboard import BATCHES, COMPARE_VALUES, build_root, callback_payload

CLIENTS = 20
SECONDS = 30.0
PAGES = (
    "/",
    "/explore",
    "/compare?batch=strategies",
    "/batch?batch=strategies",
    "/sensitivity?batch=strategies",
    "/_dash-layout",
    "/_dash-dependencies",
)
CHOICES = (["aftercare"], ["aftercare", "outreach"], ["gradual-handover", "funding-extension"], ["outreach"])


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@pytest.mark.slow
def test_twenty_clients_for_thirty_seconds_get_no_errors(tmp_path):
    root = build_root(tmp_path, {"strategies": BATCHES["strategies"]})
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)  # no log line per request: 20 clients make thousands
    httpd = make_server(root, "127.0.0.1", 0)
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{httpd.port}"
    payloads = [callback_payload(base, "compare-forest.figure", {**COMPARE_VALUES, "compare-strategies": c})
                for c in CHOICES]
    bodies = [json.dumps(p).encode() for p in payloads]
    records: list[tuple[str, float]] = []  # (kind, seconds) of every answered request
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client(k: int) -> None:
        n = k
        while time.monotonic() < deadline:
            n += 1
            if n % 2:
                kind, request = "page", urllib.request.Request(base + PAGES[n % len(PAGES)])
            else:
                kind = "callback"
                request = urllib.request.Request(
                    base + "/_dash-update-component", bodies[n % len(bodies)], {"Content-Type": "application/json"}
                )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    body = response.read()
                    ok = response.status == 200 and (kind == "page" or b'"compare-forest"' in body)
                    problem = None if ok else f"{kind}: status {response.status}, {body[:200]!r}"
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever its kind
                problem = f"{kind}: {type(exc).__name__}: {exc}"
            with lock:
                records.append((kind, time.perf_counter() - started))
                if problem:
                    errors.append(problem)

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        httpd.shutdown()
        serving.join()
        httpd.server_close()
        werkzeug.setLevel(level)

    total = len(records)
    print(f"\n{CLIENTS} clients, {SECONDS:.0f} s: {total} requests ({total / SECONDS:.1f}/s), "
          f"error rate {len(errors) / max(total, 1):.4f}")
    for kind in ("all", "page", "callback"):
        times = [s * 1000 for k, s in records if kind in ("all", k)]
        print(f"  {kind:8s} {len(times):6d} requests  p50 {percentile(times, 50):7.1f} ms  "
              f"p95 {percentile(times, 95):7.1f} ms  p99 {percentile(times, 99):7.1f} ms")
    assert not errors, errors[:5]
    assert total >= 10 * CLIENTS and sum(k == "callback" for k, _ in records) >= 5 * CLIENTS
