#!/usr/bin/env bash
# Prints the release wasm's size, raw and gzipped (gzip -9, as a static host would serve it).
set -euo pipefail
dir=${1:-dist}
shopt -s nullglob
files=("$dir"/*.wasm)
[ ${#files[@]} -gt 0 ] || { echo "no .wasm in $dir: run 'make build' first" >&2; exit 1; }
for f in "${files[@]}"; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  awk -v n="$(basename "$f")" -v r="$raw" -v g="$gz" \
    'BEGIN { printf "%-44s raw %8.1f KB   gzip %8.1f KB\n", n, r / 1024, g / 1024 }'
done
