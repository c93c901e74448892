"""A local stand-in for API Gateway's HTTP API in front of the real function,
for scripts/check-openapi: HTTP requests in, API Gateway v2 (payload 2.0)
events out to the official Lambda Runtime Interface Emulator running the
real bootstrap, and the function's response envelope back as an HTTP
response. It plays the authorizer's part too, as a deployed stack in IAM
mode does: a request to a route other than the webhooks' without the one
Authorization value it takes for a valid SigV4 signature (SIGNED) is
refused with API Gateway's own 403 {"message"}; with it, the function sees
an IAM caller. A Lambda error or no answer is a
502 {"message": "Internal Server Error"}, as API Gateway answers then.

With --inspector-stand-in the function is not in a dry run: its calls go
to scripts/openapi_inspector.py (started here, with throwaway credentials),
where the scans it starts exist (the stateful phase's links).

Usage: openapi_gateway.py --rie RIE --bootstrap BOOTSTRAP --port-file FILE [--inspector-stand-in]
Writes the port it listens on to FILE once the emulator is up."""
import argparse
import base64
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator import running  # noqa: E402
from openapi_inspector import serve as inspector_stand_in  # noqa: E402

CALLER_ARN = "arn:aws:iam::123456789012:user/schemathesis"
# The one Authorization value taken for a valid SigV4 signature (scripts/openapi_hooks.py sends it).
SIGNED = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/execute-api/aws4_request, Signature=local"


def event_for(method, raw_path, query, headers, body):
    now = time.time()
    joined = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    context = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "local",
        "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                 "sourceIp": "127.0.0.1", "userAgent": joined.get("user-agent", "")},
        "requestId": str(uuid.uuid4()),
        "routeKey": "$default",
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if joined.get("authorization") == SIGNED:
        context["authorizer"] = {"iam": {
            "accessKey": "AKIAEXAMPLE", "accountId": "123456789012", "callerId": "AIDAEXAMPLE",
            "principalOrgId": None, "userArn": CALLER_ARN, "userId": "AIDAEXAMPLE",
            "cognitoIdentity": None}}
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": query,
        "headers": joined, "requestContext": context, "isBase64Encoded": encoded,
    }
    if body:
        event["body"] = text
    return event


def make_handler(invoke_url):
    one_at_a_time = threading.Lock()  # the emulator runs one invocation at a time

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, headers, body):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def gateway(self, status, message):
            body = json.dumps({"message": message}).encode()
            self.answer(status, {"Content-Type": "application/json"}, body)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            raw_path, _, query = self.path.partition("?")
            if not raw_path.startswith("/webhooks/") and self.headers.get("Authorization") != SIGNED:
                return self.gateway(403, "Forbidden")
            event = event_for(self.command, raw_path, query, self.headers.items(), body)
            req = urllib.request.Request(invoke_url, data=json.dumps(event).encode(), method="POST")
            try:
                with one_at_a_time, urllib.request.urlopen(req, timeout=60) as resp:
                    result = json.loads(resp.read())
            except (OSError, ValueError) as e:
                print(f"gateway: no answer from the function: {e}", file=sys.stderr, flush=True)
                return self.gateway(502, "Internal Server Error")
            if not isinstance(result, dict) or "statusCode" not in result:
                print(f"gateway: not a response: {str(result)[:500]}", file=sys.stderr, flush=True)
                return self.gateway(502, "Internal Server Error")
            out = result.get("body") or ""
            out = base64.b64decode(out) if result.get("isBase64Encoded") else out.encode()
            headers = {k: v for k, v in (result.get("headers") or {}).items() if k.lower() != "content-length"}
            try:
                self.answer(int(result["statusCode"]), headers, out)
            except OSError:  # the client went away
                pass

        def __getattr__(self, name):  # do_GET, do_POST, ... and any other method
            if name.startswith("do_"):
                return self.handle_any
            raise AttributeError(name)

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rie", required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--inspector-stand-in", action="store_true")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.inspector_stand_in:
        inspector = inspector_stand_in()
        env.update({
            "DRY_RUN": "false", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{inspector.server_address[1]}",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "stand-in",
            "AWS_SESSION_TOKEN": "stand-in", "PRECONNECT": "none", "SCAN_RESULTS": "off",
            # A sweep by selector is sent to this queue (the stand-in takes it).
            "SWEEP_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/sweep.fifo",
        })
        env.pop("DRY_RUN_WEBHOOK_SECRETS", None)  # read only in a dry run (else a config error)
    # SIGTERM (scripts/check-openapi's cleanup) ends the emulator too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with running(args.rie, args.bootstrap, env) as (port, _):
        invoke = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(invoke))
        with open(args.port_file, "w") as f:
            f.write(str(server.server_address[1]))
        server.serve_forever()

if __name__ == "__main__":
    main()
