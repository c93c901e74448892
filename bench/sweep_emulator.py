"""A quota-limited sweep on the release bootstrap under the official Lambda
Runtime Interface Emulator: one asynchronous-style invocation asking for
ITEMS disassociation items (default 2,500 = 100 calls), against an Inspector
stand-in (bench/patterns_emulator.py's) that allows QUOTA calls a second (a token bucket with a
burst of one second's calls; a call that finds it empty gets 429
ThrottlingException and takes no token) and answers each call after 50 ms.
The function runs the sweep inline, paced, within its 30 s; nothing is
queued (no WORK_QUEUE_URL: what did not finish would fail the invocation
with PartialFailure, so every item is accounted for in the answer).

Prints one JSON line: wall time against the ideal (calls needed / quota),
calls and calls throttled, items answered once, more than once, never.

  python3 bench/sweep_emulator.py --rie RIE --bootstrap BOOTSTRAP
(bench/run passes both.)"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator import invoke, running  # noqa: E402
from patterns_emulator import Service, stand_in  # noqa: E402

ARN = ("arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/"
       "codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rie", required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--items", type=int, default=int(os.environ.get("ITEMS", "2500")))
    ap.add_argument("--quota", type=int, default=int(os.environ.get("QUOTA", "10")))
    args = ap.parse_args()
    # One request holds at most 10,000 items (the function's fixed limit).
    args.items = min(args.items, 10_000)
    quota = Service(rate=args.quota, latency=0.05)
    server = stand_in(quota)
    env = dict(os.environ)
    env.update({
        "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_LAMBDA_FUNCTION_TIMEOUT": "30",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_LOG_LEVEL": "warn", "PRECONNECT": "none", "DRY_RUN": "false",
        "DISASSOCIATION_ENABLED": "true",
    })
    try:
        with running(args.rie, args.bootstrap, env, quiet=True) as (port, _):
            items = [{"scanConfigurationArn": ARN,
                      "resource": {"projectId": f"project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}"}}
                     for i in range(args.items)]
            payload = json.dumps({"action": "BatchDisassociateCodeSecurityScanConfiguration",
                                  "idempotencyKey": "bench-sweep",
                                  "disassociateConfigurationRequests": items}).encode()
            started = time.monotonic()
            answer = json.loads(invoke(port, payload, timeout=120))
            wall = time.monotonic() - started
    finally:
        server.shutdown()
    ideal = -(-args.items // 25) / args.quota
    once = sum(1 for n in quota.answered.values() if n == 1)
    print(json.dumps({
        "what": "function, release bootstrap under the Lambda emulator",
        "items": args.items, "quota_per_second": args.quota, "wall_s": round(wall, 2),
        "ideal_s": ideal, "ratio": round(wall / ideal, 3), "calls": quota.calls,
        "throttled": quota.throttled, "throttled_share": round(quota.throttled / max(quota.calls, 1), 4),
        "answered_once": once, "answered_more_than_once": len(quota.answered) - once,
        "never_answered": args.items - len(quota.answered),
        "answer": answer.get("errorType") or "ok",
    }))


if __name__ == "__main__":
    main()
