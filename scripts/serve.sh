#!/usr/bin/env bash
# Serves a built app folder on ADDR (default 127.0.0.1:8080) with the right MIME types.
set -euo pipefail
dir=${1:-dist}
addr=${2:-127.0.0.1:8080}
host=${addr%:*}
port=${addr##*:}
[ -f "$dir/index.html" ] || { echo "no $dir/index.html: run 'make build' first" >&2; exit 1; }
echo "Arena is served at http://$addr/  (Ctrl-C stops it)"
exec node "$(dirname "$0")/../tests/e2e/support/static-server.mjs" "$dir" "$host" "$port"
