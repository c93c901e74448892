# Sourced by the scripts: one shared cargo target directory, tool paths.
# CARGO_TARGET_DIR set by the caller wins; otherwise the build goes to the
# user's cache directory (XDG), so that every clone on a machine, CI's fresh
# clones included, reuses one warm build of the large AWS SDK crates.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/inspector-scan-router/target}
# cargo-lambda runs `python3 -m ziglang`: the venv's python must come first.
export PATH="$ROOT/.venv/bin:$PATH"

# find_rie: sets and exports RIE, the Lambda Runtime Interface Emulator that
# ships in the aws-sam-cli wheel, for this host's CPU, and RIE_ARCH, the
# matching Lambda architecture name (x86_64 or arm64). Call it after
# scripts/setup: it asks the venv's own Python where samcli is installed.
find_rie() {
  case $(uname -m) in
    x86_64 | amd64) RIE_ARCH=x86_64 ;;
    aarch64 | arm64) RIE_ARCH=arm64 ;;
    *) echo "find_rie: no Lambda emulator for $(uname -m)" >&2; return 1 ;;
  esac
  local rapid
  rapid=$("$ROOT/.venv/bin/python" -c \
    'import pathlib, samcli; print(pathlib.Path(samcli.__file__).parent / "local" / "rapid")') || {
    echo "find_rie: samcli not importable from .venv; run scripts/setup" >&2
    return 1
  }
  RIE=$rapid/aws-lambda-rie-$RIE_ARCH
  if [[ ! -x $RIE ]]; then
    echo "find_rie: $RIE missing or not executable" >&2
    return 1
  fi
  export RIE RIE_ARCH
}

# debug_bootstrap [cargo args]: builds the function's binary in the dev
# profile and sets BOOTSTRAP to it. The integration-test crate is built with
# it so that cargo resolves the dev-dependencies' features (wiremock turns on
# hyper's server, jsonwebtoken aws-lc-rs's defaults): the binary and every
# dependency are then the very artifacts `cargo test` builds. A plain
# `cargo build --bin` resolves other features and compiles the SDK again.
debug_bootstrap() {
  cargo build --locked --bin inspector-scan-router --test it "$@"
  BOOTSTRAP=$CARGO_TARGET_DIR/debug/inspector-scan-router
}

# in_background NAME CMD...: runs CMD in the background, its output to a
# file so that it does not interleave with the foreground's; finish NAME
# waits for it, prints that output, and fails if CMD failed. A script that
# exits early stops what it started (the EXIT trap).
in_background() {
  local name=$1; shift
  local log; log=$(mktemp "${TMPDIR:-/tmp}/isr-$name.XXXXXX")
  "$@" >"$log" 2>&1 &
  eval "BG_PID_$name=$! BG_LOG_$name=$log"
  BG_PIDS="${BG_PIDS:-} $!"
  trap 'kill $BG_PIDS 2>/dev/null || true' EXIT
}
finish() {
  local name=$1 pid log rc=0
  eval "pid=\$BG_PID_$name log=\$BG_LOG_$name"
  wait "$pid" || rc=$?
  BG_PIDS=${BG_PIDS/ $pid/}
  cat "$log" >&2
  rm -f "$log"
  if ((rc != 0)); then echo "$name failed (exit $rc)" >&2; return "$rc"; fi
}
