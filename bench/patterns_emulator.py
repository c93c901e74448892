"""The pacer across patterns of use, on the release bootstrap under the
official Lambda Runtime Interface Emulator, each pattern in a fresh
environment, with the function's adaptive pacing (the switch that turned it
off for comparison runs is gone; BENCHMARKS.md keeps those figures), against an Inspector stand-in (this file) that answers StartCodeSecurityScan
and BatchDisassociateCodeSecurityScanConfiguration, optionally behind a
token-bucket quota (burst one second's calls; a call that finds it empty
gets 429 ThrottlingException and takes no token), optionally throttling its
first calls:

- warm: back-to-back `POST /scans` on one warm environment, no quota, the
  stand-in answering at once: the median round trip of 200;
- idle: one `POST /scans`, 25 s idle, then a 2,000-item disassociation
  sweep (80 calls) against 10 calls a second, 50 ms a call (ideal 8 s);
- throttled: one `POST /scans` throttled twice, then a 10,000-item sweep
  (400 calls) with no quota, 50 ms a call.

No work queue: what a sweep leaves unfinished fails it with PartialFailure,
so every item is accounted for in the answer. Prints one JSON line per
pattern.

  python3 bench/patterns_emulator.py --rie RIE --bootstrap BOOTSTRAP [PATTERN ...]
(bench/run passes both.)"""
import argparse
import http.client
import http.server
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from emulator import invoke, running  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ARN = ("arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/"
       "codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f")
PROJECT = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


class Service:
    """The stand-in's state: its quota (None: none), calls it throttles
    first, and what it counted."""

    def __init__(self, rate=None, throttle_first=0, latency=0.0):
        self.rate = rate
        self.tokens, self.at = float(rate or 0), time.monotonic()
        self.throttle_first, self.latency = throttle_first, latency
        self.lock = threading.Lock()
        self.calls = self.throttled = 0
        self.answered = {}

    def take(self):
        with self.lock:
            self.calls += 1
            if self.throttle_first > 0:
                self.throttle_first -= 1
                self.throttled += 1
                return False
            if self.rate is None:
                return True
            now = time.monotonic()
            self.tokens = min(float(self.rate), self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            self.throttled += 1
            return False

    def reset_counts(self):
        with self.lock:
            self.calls = self.throttled = 0


def stand_in(service):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Head and body go out in two writes: without this, Nagle's
        # algorithm holds the body for the client's delayed ACK (40 ms).
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
            ok = service.take()
            if service.latency:
                time.sleep(service.latency)
            if not ok:
                out = json.dumps({"message": "Rate exceeded"}).encode()
                self.send_response(429)
                self.send_header("x-amzn-errortype", "ThrottlingException")
            elif self.path.startswith("/codesecurity/scan/start"):
                out = json.dumps({"scanId": "8f3b2c1a-0000-4000-8000-000000000001",
                                  "status": "IN_PROGRESS"}).encode()
                self.send_response(200)
            else:
                items = body.get("disassociateConfigurationRequests", [])
                with service.lock:
                    for i in items:
                        p = i["resource"]["projectId"]
                        service.answered[p] = service.answered.get(p, 0) + 1
                out = json.dumps({"successfulAssociations": items, "failedAssociations": []}).encode()
                self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post_scan(port, n, conn=None):
    """One `POST /scans` (its own Idempotency-Key); over `conn`, a kept-alive
    connection to the emulator, when given (the round trip, not a TCP
    handshake, is what the warm pattern measures)."""
    with open(os.path.join(HERE, "..", "events", "http-start-scan.json")) as f:
        event = json.load(f)
    event["headers"]["idempotency-key"] = f"bench-{n}"
    payload = json.dumps(event).encode()
    if conn is None:
        return json.loads(invoke(port, payload))
    conn.request("POST", "/2015-03-31/functions/function/invocations", body=payload,
                 headers={"content-type": "application/json"})
    return json.loads(conn.getresponse().read())


def sweep(port, items):
    requests = [{"scanConfigurationArn": ARN,
                 "resource": {"projectId": f"project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}"}}
                for i in range(items)]
    payload = json.dumps({"action": "BatchDisassociateCodeSecurityScanConfiguration",
                          "idempotencyKey": "bench-sweep",
                          "disassociateConfigurationRequests": requests}).encode()
    started = time.monotonic()
    answer = json.loads(invoke(port, payload, timeout=120))
    return time.monotonic() - started, answer


def outcome(answer, items, service):
    """ok, or the error type, and the items each answered how often."""
    once = sum(1 for n in service.answered.values() if n == 1)
    return {
        "answer": (answer.get("errorType") if isinstance(answer, dict) else None) or "ok",
        "answered_once": once, "answered_more_than_once": len(service.answered) - once,
        "never_answered": items - len(service.answered),
    }


def run(pattern, rie, bootstrap):
    service = {
        "warm": lambda: Service(),
        "idle": lambda: Service(rate=10, latency=0.05),
        "throttled": lambda: Service(throttle_first=2, latency=0.05),
    }[pattern]()
    server = stand_in(service)
    env = dict(os.environ)
    env.update({
        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_LOG_LEVEL": "warn", "PRECONNECT": "none", "DRY_RUN": "false",
        "HTTP_AUTH": "NONE", "SCAN_RESULTS": "off", "DISASSOCIATION_ENABLED": "true",
    })
    row = {"pattern": pattern, "pacing": "adaptive"}
    try:
        with running(rie, bootstrap, env, quiet=True) as (port, _):
            if pattern == "warm":
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                post_scan(port, 0, conn)
                times = []
                for n in range(1, 201):
                    started = time.monotonic()
                    answer = post_scan(port, n, conn)
                    times.append((time.monotonic() - started) * 1000)
                    assert answer.get("statusCode") == 202, answer
                row.update({"posts": len(times), "median_ms": round(statistics.median(times), 2),
                            "p90_ms": round(sorted(times)[int(len(times) * 0.9)], 2)})
            else:
                first = post_scan(port, 0)
                row["first_post_status"] = first.get("statusCode")
                items, ideal = (2000, 8.0) if pattern == "idle" else (10000, None)
                if pattern == "idle":
                    time.sleep(25)
                service.reset_counts()
                wall, answer = sweep(port, items)
                row.update({"items": items, "wall_s": round(wall, 2), "ideal_s": ideal,
                            "ratio": round(wall / ideal, 3) if ideal else None,
                            "calls": service.calls, "throttled": service.throttled,
                            "throttled_share": round(service.throttled / max(service.calls, 1), 4)})
                row.update(outcome(answer, items, service))
    finally:
        server.shutdown()
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rie", required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("patterns", nargs="*", default=["warm", "idle", "throttled"])
    args = ap.parse_args()
    for pattern in args.patterns:
        print(json.dumps(run(pattern, args.rie, args.bootstrap)), flush=True)


if __name__ == "__main__":
    main()
