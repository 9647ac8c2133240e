#!/usr/bin/env bash
# Runs a command with the wasm32 toolchain settings chosen by scripts/setup.sh (empty on the
# rustup route; Debian's rustc-web with build-std otherwise). Only wasm commands use this, so
# native builds never see RUSTC_BOOTSTRAP.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$ROOT/.tools/bin:$ROOT/node_modules/.bin:$PATH"
# shellcheck disable=SC1091
[ -f "$ROOT/.env.wasm" ] && source "$ROOT/.env.wasm"
exec "$@"
