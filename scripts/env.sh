# Sourced by the scripts: one shared cargo target directory, tool paths.
# CARGO_TARGET_DIR may be set by the caller (CI points it outside the clone).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# cargo-lambda runs `python3 -m ziglang`: the venv's python must come first.
export PATH="$ROOT/.venv/bin:$PATH"
RIE=$ROOT/.venv/lib/python3.11/site-packages/samcli/local/rapid/aws-lambda-rie-x86_64
export RIE
