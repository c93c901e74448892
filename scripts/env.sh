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
