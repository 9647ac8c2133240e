# Arena's two commands:
#   make run    build the release app and serve it on 127.0.0.1 (installs what is missing)
#   make test   run every check and test (installs what is missing)
# and helpers: make size, make e2e, make check-web.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
ADDR ?= 127.0.0.1:8080
WASM := scripts/wasm.sh
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true
export XDG_RUNTIME_DIR ?= /tmp

.PHONY: run test setup setup-test build serve lint test-native test-web e2e size scale

run: setup build serve

test: setup-test lint test-native test-web build e2e
	@echo "[test] all checks passed"

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

build:
	@echo "[build] trunk build --release"
	@$(WASM) trunk build index.html --release --offline

serve:
	@scripts/serve.sh dist $(ADDR)

lint:
	@echo "[lint] cargo fmt --check"
	@cargo fmt --all -- --check
	@echo "[lint] clippy (native crates)"
	@cargo clippy --workspace --exclude arena-app --all-targets --locked -q -- -D warnings
	@echo "[lint] clippy (wasm32 app)"
	@$(WASM) cargo clippy -p arena-app --target wasm32-unknown-unknown --all-targets --locked -q -- -D warnings

test-native:
	@echo "[test] cargo test (native crates)"
	@cargo test --workspace --exclude arena-app --locked

# The runner's own limits (20 s for the whole run's output, 5 s for chromedriver to start)
# would fail a busy machine; these only guard against a hang.
test-web:
	@echo "[test] wasm-bindgen-test in headless Chromium"
	@WASM_BINDGEN_TEST_TIMEOUT=300 WASM_BINDGEN_TEST_DRIVER_TIMEOUT=120 \
		$(WASM) cargo test -p arena-app --target wasm32-unknown-unknown --locked
	@echo "[test] the local engine in wasm (simd128 kernels against the references)"
	@WASM_BINDGEN_TEST_TIMEOUT=300 \
		$(WASM) cargo test -p arena-llm --target wasm32-unknown-unknown --test wasm --locked

e2e:
	@echo "[test] Playwright specs against the release build"
	@cargo build -q -p arena-testserver -p arena-cli --locked
	@node tests/e2e/run.mjs

size:
	@scripts/size.sh dist

# 2,000 scripted battles through the page, compared with the CLI (prints timings).
scale: setup-test build
	@cargo build -q -p arena-testserver -p arena-cli --locked
	@ARENA_SCALE_BATTLES=2000 node --test tests/e2e/specs/scale.test.mjs
