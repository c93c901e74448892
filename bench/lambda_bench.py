"""Measure the built bootstrap as Lambda runs it, against a minimal Lambda
Runtime API and a stand-in Inspector endpoint, both in this process:

  init       process start -> the runtime's first request for an event
  first      latency of the first invocation (first connection, lazy set-up)
  warm       latency of each later invocation
  rss        peak RSS (VmHWM) after 1 invocation and after N invocations

each for several variants: plain HTTP with and without SSL_CERT_FILE, and
HTTPS with and without PRECONNECT under Lambda's CPU share for small
functions (see CpuShare).

Prints JSON. Used by bench/run; python3 bench/lambda_bench.py --help.
"""
import argparse
import http.server
import json
import os
import pathlib
import queue
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Quiet(http.server.ThreadingHTTPServer):
    """A server that does not print the broken pipes of killed bootstraps."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, quiet. TCP_NODELAY: without it a keep-alive answer
    written in two parts meets Nagle and delayed ACK, a 40 ms stall that is
    the harness's, not the function's."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass


def reply(handler, code, body=b"", headers=None):
    """Answer a request of an http.server handler in one piece, with its length."""
    handler.send_response(code)
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class RuntimeApi:
    """The subset of the Lambda Runtime API a custom runtime uses."""

    def __init__(self, on_init_done=None):
        self.events = queue.Queue()
        self.pending = {}  # request id -> (handed_out_at, done Event, [response])
        self.first_next_at = None
        # Called once, at the first request for an event: where Lambda ends
        # init (and, for a small function, its full-CPU allowance).
        self.on_init_done = on_init_done
        api = self

        class Handler(KeepAliveHandler):
            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return reply(self, 404)
                if api.first_next_at is None:
                    api.first_next_at = time.perf_counter()
                    if api.on_init_done:
                        api.on_init_done()
                payload = api.events.get()
                rid = str(uuid.uuid4())
                done = threading.Event()
                api.pending[rid] = [time.perf_counter(), done, None, None]
                deadline = int(time.time() * 1000) + 30_000
                reply(self, 200, payload, {
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
                    return reply(self, 202, b"{}")
                reply(self, 202, b"{}")

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


class TlsServer(Quiet):
    """HTTPS: TCP_NODELAY is set before the handshake (the handler sets it only
    after), or the server's handshake flight meets Nagle and the client's
    delayed ACK: a 40 ms stall that is the harness's, not the function's."""

    tls = None

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.tls.wrap_socket(sock, server_side=True), addr


class CpuShare:
    """Lambda's CPU model for a small function: init runs on a full core, then
    the function gets memory/1,769 MB of one vCPU. Emulated with a cgroup (v1
    or v2) CPU quota the bootstrap is moved into when it first asks for an
    event; unavailable without a writable cgroup CPU controller (not root)."""

    PERIOD_US = 20_000  # Lambda does not document its period; assumed.

    def __init__(self, memory_mb):
        self.memory_mb = memory_mb
        self.quota_us = max(1000, round(self.PERIOD_US * memory_mb / 1769))
        name = f"lambda-bench-{os.getpid()}"
        v1 = pathlib.Path("/sys/fs/cgroup/cpu")
        v2 = pathlib.Path("/sys/fs/cgroup")
        self.path = None
        try:
            if (v1 / "cpu.cfs_quota_us").exists():
                path = v1 / name
                path.mkdir(exist_ok=True)
                (path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
                (path / "cpu.cfs_quota_us").write_text(str(self.quota_us))
            elif "cpu" in (v2 / "cgroup.controllers").read_text().split():
                path = v2 / name
                path.mkdir(exist_ok=True)
                (path / "cpu.max").write_text(f"{self.quota_us} {self.PERIOD_US}")
            else:
                return
            self.path = path
        except OSError:
            self.path = None

    @property
    def available(self):
        return self.path is not None

    def limit(self, pid):
        (self.path / "cgroup.procs").write_text(str(pid))

    def close(self):
        if self.path:
            try:
                self.path.rmdir()
            except OSError:
                pass


def tls_context(workdir):
    """A throw-away CA and a certificate for localhost signed by it. Returns
    the server's TLS context and a CA bundle (the platform's roots plus this
    CA, so the client loads as many roots as it would on Lambda)."""
    import ssl
    d = pathlib.Path(workdir)
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=bench CA", "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"),
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
        "-keyout", str(d / "leaf.key"), "-out", str(d / "leaf.csr"))
    (d / "leaf.ext").write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", str(d / "leaf.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
        "-CAcreateserial", "-days", "2", "-extfile", str(d / "leaf.ext"), "-out", str(d / "leaf.pem"))
    bundle = d / "bundle.pem"
    platform = ca_bundle()
    bundle.write_bytes((pathlib.Path(platform).read_bytes() if platform else b"") + (d / "ca.pem").read_bytes())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "leaf.pem", d / "leaf.key")
    return ctx, str(bundle)


class Inspector:
    """Stand-in Inspector endpoint: canned successes, optional latency, plain
    HTTP or HTTPS. Like the service, it refuses a request without a signature
    (PRECONNECT's warm-up request) with 403."""

    def __init__(self, latency=0.0, tls=None):
        latency_s = latency

        class Handler(KeepAliveHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if latency_s:
                    time.sleep(latency_s)
                if "Authorization" not in self.headers:
                    return reply(self, 403, b'{"message":"Missing Authentication Token"}', {
                        "x-amzn-ErrorType": "MissingAuthenticationTokenException",
                        "Content-Type": "application/json",
                    })
                if self.path.startswith("/codesecurity/scan/start"):
                    out = {"scanId": "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3", "status": "IN_PROGRESS"}
                elif self.path.startswith("/codesecurity/scan-configuration/batch/disassociate"):
                    req = json.loads(body)
                    out = {"successfulAssociations": req["disassociateConfigurationRequests"], "failedAssociations": []}
                elif "StartAssessmentRun" in (self.headers.get("X-Amz-Target") or ""):
                    out = {"assessmentRunArn": "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b/run/0-c"}
                else:
                    out = {"scanId": "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3", "status": "SUCCESSFUL"}
                reply(self, 200, json.dumps(out).encode(), {"Content-Type": "application/json"})

        self.server = (TlsServer if tls else Quiet)(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        if tls:
            self.server.tls = tls
            self.url = f"https://localhost:{port}"
        else:
            self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


BUNDLES = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"]


def ca_bundle():
    return next((b for b in BUNDLES if os.path.exists(b)), None)


def env_for(inspector, extra=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
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


# The variant template.yaml deploys: SSL_CERT_FILE set, HTTPS, PRECONNECT's default.
DEPLOYED = "https, PRECONNECT=inspector2"


def cpu_ms(pid):
    """CPU time the process has used so far (all threads, /proc schedstat)."""
    total = 0
    for stat in pathlib.Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[0])
        except (OSError, ValueError):
            pass
    return total / 1e6


def cold_start(bootstrap, payload, env, warm, cpu=None, gap=0.0):
    """Start the bootstrap, invoke it once and then `warm` times, `gap`
    seconds apart; returns (init ms, CPU ms used by init, first invocation ms,
    [warm ms])."""
    started = []
    init_cpu = []

    def init_done():
        while not started:
            time.sleep(0.0001)
        init_cpu.append(cpu_ms(started[0].pid))
        if cpu:
            cpu.limit(started[0].pid)

    api = RuntimeApi(on_init_done=init_done)
    env = dict(env, AWS_LAMBDA_RUNTIME_API=api.address)
    t0 = time.perf_counter()
    proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(proc)
    try:
        latency, kind, body = api.invoke(payload)
        assert kind == "response" and b"statusCode" in body, body
        init = (api.first_next_at - t0) * 1000
        first = latency * 1000
        warm_ms = []
        for _ in range(warm):
            time.sleep(gap)
            latency, kind, _ = api.invoke(payload)
            warm_ms.append(latency * 1000)
        return init, init_cpu[0], first, warm_ms
    finally:
        proc.kill()
        proc.wait()
        api.server.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--runs", type=int, default=20, help="cold starts to measure per variant")
    ap.add_argument("--warm", type=int, default=50, help="warm invocations per cold start")
    ap.add_argument("--warm-gap-ms", type=float, default=50,
                    help="pause between warm invocations (more than one CPU-share period, so each "
                         "starts with the share's full quota, as requests that do not queue do)")
    ap.add_argument("--rss-invocations", type=int, default=1000)
    ap.add_argument("--memory-mb", type=int, default=128,
                    help="function memory whose CPU share the HTTPS variants get after init")
    ap.add_argument("--deployed", default=DEPLOYED,
                    help="the variant that matches template.yaml; RSS is measured with it")
    ap.add_argument("--event", default=str(ROOT / "events" / "http-start-scan.json"))
    args = ap.parse_args()
    payload = pathlib.Path(args.event).read_bytes()
    plain = Inspector()
    workdir = tempfile.mkdtemp(prefix="lambda-bench-")
    tls, bench_bundle = tls_context(workdir)
    https = Inspector(tls=tls)
    cpu = CpuShare(args.memory_mb)
    platform_bundle = ca_bundle()

    # Plain HTTP: init with the SDK's default root loading and with
    # SSL_CERT_FILE (the template sets it: one file read at init instead of
    # the bundle plus every file of the certificate directory).
    # HTTPS (a local CA added to the platform's roots): the first invocation
    # pays for the TLS handshake unless PRECONNECT did it during init; after
    # init the bootstrap gets the CPU share of a --memory-mb function.
    variants = {
        "http, SDK default roots": (plain, {}, None),
        "http, SSL_CERT_FILE": (plain, {"SSL_CERT_FILE": platform_bundle} if platform_bundle else {}, None),
        "https, PRECONNECT=none": (https, {"SSL_CERT_FILE": bench_bundle, "PRECONNECT": "none"}, cpu),
        "https, PRECONNECT=inspector2": (https, {"SSL_CERT_FILE": bench_bundle, "PRECONNECT": "inspector2"}, cpu),
    }
    results = {name: ([], [], [], []) for name in variants}
    try:
        for _ in range(args.runs):
            for name, (endpoint, extra, share) in variants.items():
                env = env_for(endpoint, extra)
                init, init_cpu, first, warm = cold_start(
                    args.bootstrap, payload, env, args.warm,
                    share if share and share.available else None, args.warm_gap_ms / 1000)
                results[name][0].append(init)
                results[name][1].append(init_cpu)
                results[name][2].append(first)
                results[name][3].extend(warm)

        # Memory as deployed, over HTTPS, at full CPU.
        api = RuntimeApi()
        endpoint, extra, _ = variants[args.deployed]
        env = dict(env_for(endpoint, extra), AWS_LAMBDA_RUNTIME_API=api.address)
        proc = subprocess.Popen([args.bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            api.invoke(payload)
            after_one = peak_rss_kib(proc.pid)
            for _ in range(args.rss_invocations - 1):
                api.invoke(payload)
            after_n = peak_rss_kib(proc.pid)
        finally:
            proc.kill()
            proc.wait()
    finally:
        cpu.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print(json.dumps({
        "bootstrap": args.bootstrap,
        "event": pathlib.Path(args.event).name,
        "ca_bundle": platform_bundle,
        "cpu_share": {"memory_mb": args.memory_mb, "period_us": CpuShare.PERIOD_US,
                      "quota_us": cpu.quota_us, "applied": cpu.available},
        "variants": {
            name: {
                "init_ms": summary(init),
                "init_cpu_ms": summary(init_cpu),
                "first_invocation_ms": summary(first),
                "cold_start_ms": summary([i + f for i, f in zip(init, first)]),
                "warm_invocation_ms": summary(warm),
            }
            for name, (init, init_cpu, first, warm) in results.items()
        },
        "deployed": args.deployed,
        "rss_invocations": args.rss_invocations,
        "peak_rss_kib_after_1": after_one[0],
        "peak_rss_kib_after_n": after_n[0],
        "rss_kib_after_n": after_n[1],
    }, indent=2))


if __name__ == "__main__":
    main()
