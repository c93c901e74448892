"""Measure the built bootstrap as Lambda runs it, against a minimal Lambda
Runtime API and a stand-in Inspector endpoint, both in this process:

  init       process start -> the runtime's first request for an event
  first      latency of the first invocation (first TLS-free HTTP connection, lazy init)
  warm       latency of each later invocation
  rss        peak RSS (VmHWM) after 1 invocation and after N invocations

Prints JSON. Used by bench/run; python3 bench/lambda_bench.py --help.
"""
import argparse
import http.server
import json
import os
import pathlib
import queue
import statistics
import subprocess
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Quiet(http.server.ThreadingHTTPServer):
    """A server that does not print the broken pipes of killed bootstraps."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class RuntimeApi:
    """The subset of the Lambda Runtime API a custom runtime uses."""

    def __init__(self):
        self.events = queue.Queue()
        self.pending = {}  # request id -> (handed_out_at, done Event, [response])
        self.first_next_at = None
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without this, a keep-alive answer written in two parts meets
            # Nagle and delayed ACK: a 40 ms stall that is the harness's, not the function's.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _reply(self, code, body=b"", headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return self._reply(404)
                if api.first_next_at is None:
                    api.first_next_at = time.perf_counter()
                payload = api.events.get()
                rid = str(uuid.uuid4())
                done = threading.Event()
                api.pending[rid] = [time.perf_counter(), done, None, None]
                deadline = int(time.time() * 1000) + 30_000
                self._reply(200, payload, {
                    "Lambda-Runtime-Aws-Request-Id": rid,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                    "Content-Type": "application/json",
                })

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.split("/")
                if "invocation" in parts and parts[-1] in ("response", "error"):
                    rid = parts[-2]
                    entry = api.pending.get(rid)
                    if entry:
                        entry[2] = time.perf_counter()
                        entry[3] = (parts[-1], body)
                        entry[1].set()
                    return self._reply(202, b"{}")
                self._reply(202, b"{}")

        self.server = Quiet(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def invoke(self, payload, timeout=30):
        before = set(self.pending)
        self.events.put(payload)
        end = time.time() + timeout
        while time.time() < end:
            new = [r for r in self.pending if r not in before]
            if new:
                entry = self.pending[new[0]]
                if entry[1].wait(timeout=end - time.time()):
                    kind, body = entry[3]
                    return entry[2] - entry[0], kind, body
            time.sleep(0.0002)
        raise TimeoutError("no answer")


class Inspector:
    """Stand-in Inspector endpoint: canned successes, optional latency."""

    def __init__(self, latency=0.0):
        latency_s = latency

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if latency_s:
                    time.sleep(latency_s)
                if self.path.startswith("/codesecurity/scan/start"):
                    out = {"scanId": "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3", "status": "IN_PROGRESS"}
                elif self.path.startswith("/codesecurity/scan-configuration/batch/disassociate"):
                    req = json.loads(body)
                    out = {"successfulAssociations": req["disassociateConfigurationRequests"], "failedAssociations": []}
                elif "StartAssessmentRun" in (self.headers.get("X-Amz-Target") or ""):
                    out = {"assessmentRunArn": "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b/run/0-c"}
                else:
                    out = {"scanId": "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3", "status": "SUCCESSFUL"}
                data = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = Quiet(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


BUNDLES = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"]


def ca_bundle():
    return next((b for b in BUNDLES if os.path.exists(b)), None)


def env_for(api, inspector, extra=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_LEVEL": "warn",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench-secret",
        "AWS_ENDPOINT_URL": inspector.url,
        "DRY_RUN": "false",
    }
    env.update(extra or {})
    return env


def peak_rss_kib(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def summary(xs):
    xs = sorted(xs)
    q = statistics.quantiles(xs, n=10) if len(xs) >= 2 else [xs[0]] * 9
    return {"median": statistics.median(xs), "p10": q[0], "p90": q[-1], "min": xs[0], "max": xs[-1], "n": len(xs)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--runs", type=int, default=20, help="cold starts to measure")
    ap.add_argument("--warm", type=int, default=50, help="warm invocations per cold start")
    ap.add_argument("--rss-invocations", type=int, default=1000)
    ap.add_argument("--event", default=str(ROOT / "events" / "http-start-scan.json"))
    args = ap.parse_args()
    payload = pathlib.Path(args.event).read_bytes()
    inspector = Inspector()

    # The template sets SSL_CERT_FILE to the platform's CA bundle, so the SDK's
    # HTTPS client reads one file at init instead of the bundle plus every
    # file of the certificate directory. Both are measured.
    bundle = ca_bundle()
    variants = {"default": {}}
    if bundle:
        variants["SSL_CERT_FILE"] = {"SSL_CERT_FILE": bundle}
    chosen = "SSL_CERT_FILE" if bundle else "default"
    init = {name: [] for name in variants}
    first, warm = [], []
    for _ in range(args.runs):
        for name, extra in variants.items():
            api = RuntimeApi()
            t0 = time.perf_counter()
            proc = subprocess.Popen([args.bootstrap], env=env_for(api, inspector, extra),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                latency, kind, body = api.invoke(payload)
                assert kind == "response" and b"statusCode" in body, body
                init[name].append((api.first_next_at - t0) * 1000)
                if name == chosen:
                    first.append(latency * 1000)
                    for _ in range(args.warm):
                        latency, kind, _ = api.invoke(payload)
                        warm.append(latency * 1000)
            finally:
                proc.kill()
                proc.wait()
                api.server.shutdown()

    api = RuntimeApi()
    proc = subprocess.Popen([args.bootstrap], env=env_for(api, inspector, variants[chosen]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        api.invoke(payload)
        after_one = peak_rss_kib(proc.pid)
        for _ in range(args.rss_invocations - 1):
            api.invoke(payload)
        after_n = peak_rss_kib(proc.pid)
    finally:
        proc.kill()
        proc.wait()

    print(json.dumps({
        "bootstrap": args.bootstrap,
        "event": pathlib.Path(args.event).name,
        "ca_bundle": bundle,
        "init_ms": summary(init[chosen]),
        "init_ms_by_variant": {name: summary(xs) for name, xs in init.items()},
        "first_invocation_ms": summary(first),
        "warm_invocation_ms": summary(warm),
        "peak_rss_kib_after_1": after_one[0],
        f"peak_rss_kib_after_{args.rss_invocations}": after_n[0],
        f"rss_kib_after_{args.rss_invocations}": after_n[1],
    }, indent=2))


if __name__ == "__main__":
    main()
