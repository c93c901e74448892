"""Run a bootstrap under the AWS Lambda Runtime Interface Emulator and invoke
it with event files. Used by scripts/run-local; prints each event and answer.
Exits non-zero if the emulator fails or an invocation gets no answer."""
import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def invoke(port, payload, timeout=60):
    url = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
    req = urllib.request.Request(url, data=payload, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read().decode()


def wait_ready(port, proc, deadline=20):
    end = time.time() + deadline
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"emulator exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit("emulator did not start listening")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rie", required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("events", nargs="*")
    args = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    files = [pathlib.Path(e) for e in args.events] or sorted((root / "events").glob("*.json"))
    port = free_port()
    env = dict(os.environ)
    env.setdefault("AWS_REGION", "us-east-1")
    env.setdefault("AWS_LAMBDA_FUNCTION_TIMEOUT", "30")
    env.setdefault("AWS_LAMBDA_LOG_FORMAT", "text")
    log = open(os.devnull, "w") if os.environ.get("EMULATOR_QUIET") else None
    proc = subprocess.Popen(
        [args.rie, "--log-level", "error", "--runtime-interface-emulator-address", f"127.0.0.1:{port}", args.bootstrap],
        env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
    )
    failed = 0
    try:
        wait_ready(port, proc)
        dry = env.get("DRY_RUN", "")
        print(f"== emulator on :{port}, bootstrap {args.bootstrap}, DRY_RUN={dry or 'unset'}", flush=True)
        for f in files:
            print(f"\n--- {f.name}", flush=True)
            try:
                answer = invoke(port, f.read_bytes())
            except (urllib.error.URLError, TimeoutError) as e:
                failed += 1
                print(f"no answer: {e}", flush=True)
                continue
            try:
                parsed = json.loads(answer)
                if isinstance(parsed, dict) and isinstance(parsed.get("body"), str):
                    try:
                        parsed["body"] = json.loads(parsed["body"])
                    except ValueError:
                        pass
                print(json.dumps(parsed, indent=2), flush=True)
            except ValueError:
                print(answer, flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
