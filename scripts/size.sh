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
# The local engine belongs in its worker (llm_worker_bg.wasm) only: the main bundle must not
# link it. Its GGUF metadata keys are strings nothing else in the app contains.
for f in "$dir"/arena-app-*_bg.wasm; do
  if grep -q "tokenizer.ggml" "$f"; then
    echo "$(basename "$f") links the local engine (arena-llm); it must stay in the worker" >&2
    exit 1
  fi
  echo "$(basename "$f"): no local engine linked (ok)"
done
