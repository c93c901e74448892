"""Run a bootstrap under the AWS Lambda Runtime Interface Emulator and invoke
it with event files. Used by scripts/run-local; prints each event and answer,
the results event each planned scan would end in, then a summary table
(event, status, action).
Exits non-zero if the emulator fails or an invocation gets no answer."""
import argparse
import contextlib
import http.client
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
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


@contextlib.contextmanager
def running(rie, bootstrap, env=None, quiet=None):
    """The bootstrap under the emulator, on free ports of its own (so two
    emulators never meet), with Lambda's environment defaults under `env`
    (default: this process's). Yields (port, env) once it listens; stopped
    on leaving. Its output goes to /dev/null when `quiet` (default:
    EMULATOR_QUIET is set)."""
    env = dict(os.environ if env is None else env)
    env.setdefault("AWS_REGION", "us-east-1")
    env.setdefault("AWS_LAMBDA_FUNCTION_TIMEOUT", "30")
    env.setdefault("AWS_LAMBDA_LOG_FORMAT", "text")
    if quiet is None:
        quiet = bool(env.get("EMULATOR_QUIET"))
    port, runtime_port = free_port(), free_port()
    log = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen(
        [rie, "--log-level", "error", "--runtime-interface-emulator-address", f"127.0.0.1:{port}",
         "--runtime-api-address", f"127.0.0.1:{runtime_port}", bootstrap],
        env=env, stdout=log, stderr=subprocess.STDOUT if quiet else None,
    )
    try:
        wait_ready(port, proc)
        yield port, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def status_of(answer):
    """HTTP status of a response envelope, errorType of a Lambda error, the
    messages to deliver again of an SQS batch response, else ok."""
    if isinstance(answer, dict):
        if isinstance(answer.get("batchItemFailures"), list) and answer["batchItemFailures"]:
            return f"{len(answer['batchItemFailures'])} to retry"
        if "statusCode" in answer:
            return str(answer["statusCode"])
        if "errorType" in answer:
            return str(answer["errorType"])
    return "ok"


def action_of(answer):
    """What the function did or would do: the planned calls' operations of a
    dry run, `skipped`, or the answer's `action`; looked for in the answer,
    its (parsed) HTTP body and its `result`. `-` when none says."""
    places = []
    for d in (answer, answer.get("body") if isinstance(answer, dict) else None):
        if isinstance(d, dict):
            places += [d, d.get("result")]
    places = [d for d in places if isinstance(d, dict)]
    for d in places:
        if d.get("dryRun") is True and isinstance(d.get("calls"), list):
            ops = []
            for c in d["calls"]:
                op = c.get("operation") if isinstance(c, dict) else None
                if op and op not in ops:
                    ops.append(op)
            return ",".join(ops) or "-"
    for d in places:
        if d.get("skipped") is True:
            return "skipped"
    for d in places:
        if "action" in d:
            return str(d["action"])
    for d in places:
        if isinstance(d.get("batchItemFailures"), list):
            return f"SQS batch, {len(d['batchItemFailures'])} message(s) to retry"
    return "-"


def print_table(rows):
    """Rows of (event, status, action), aligned under a header line."""
    rows = [("EVENT", "STATUS", "ACTION")] + rows
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print("\n== summary", flush=True)
    for e, st, act in rows:
        print(f"{e:<{w0}}  {st:<{w1}}  {act}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rie", required=True)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("events", nargs="*")
    args = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    files = [pathlib.Path(e) for e in args.events] or sorted((root / "events").glob("*.json"))
    failed = 0
    rows = []  # (event, status, action) for the summary table
    planned = []  # (event, results) of the scans a dry run would watch
    with running(args.rie, args.bootstrap) as (port, env):
        dry = env.get("DRY_RUN", "")
        print(f"== emulator on :{port}, bootstrap {args.bootstrap}, DRY_RUN={dry or 'unset'}", flush=True)
        for f in files:
            print(f"\n--- {f.name}", flush=True)
            try:
                answer = invoke(port, f.read_bytes())
            except (OSError, http.client.HTTPException) as e:  # URLError, timeouts, resets
                failed += 1
                print(f"no answer: {e}", flush=True)
                rows.append((f.name, "no answer", "-"))
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
                parsed = answer
                print(answer, flush=True)
            rows.append((f.name, status_of(parsed), action_of(parsed)))
            results = parsed.get("results") if isinstance(parsed, dict) else None
            if isinstance(results, dict) and "event" in results:
                planned.append((f.name, results))
        for name, results in planned:
            # A dry run plans the watch and shows the results event's shape.
            print(f"\n== {name}: {results.get('watches')} scan watch(es) planned; "
                  f"each scan ends in one results event like:", flush=True)
            print(json.dumps(results["event"], indent=2), flush=True)
        print_table(rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
