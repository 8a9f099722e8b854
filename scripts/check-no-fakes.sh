#!/usr/bin/env bash
# Proves that `orosync` built without the `demo` feature holds no fake
# server and no test support (docs/testing.md, "No fakes in the product"):
#   1. its normal dependency graph has neither `orosync-fakes` nor
#      `orosync-testkit`;
#   2. its release binary holds none of the fakes' distinctive symbols and
#      strings, while the default (demo) release binary does hold them, so
#      the search is shown to find what it looks for.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
fail=0

tree="$(cargo tree --locked -e normal -p orosync --no-default-features --prefix none)"
if grep -E '^orosync-(fakes|testkit) ' <<<"$tree"; then
  echo "check-no-fakes: orosync without the demo feature depends on the crates above" >&2
  fail=1
fi
if ! cargo tree --locked -e normal -p orosync --prefix none | grep -qE '^orosync-fakes '; then
  echo "check-no-fakes: the default build does not list orosync-fakes; the graph check proves nothing" >&2
  fail=1
fi

# What only the fakes and the test kit contain: their crate names (in
# symbol names and panic locations), and texts the fake servers answer.
markers=(
  'orosync_fakes'
  'orosync_testkit'
  'orosync-fakes'
  'The fake was told to fail.'
  'The fake held this write and dropped it.'
)

# Count the markers in a binary's symbols and strings.
found_in() {
  local bin="$1" n=0 m
  local text
  text="$( (nm -C "$bin" 2>/dev/null || true; strings -a "$bin") )"
  for m in "${markers[@]}"; do
    if grep -qF -- "$m" <<<"$text"; then
      echo "  $m" >&2
      n=$((n + 1))
    fi
  done
  echo "$n"
}

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cargo build --locked --release -p orosync --bin orosync
cp "$target/release/orosync" "$scratch/orosync-demo"
cargo build --locked --release -p orosync --bin orosync --no-default-features
cp "$target/release/orosync" "$scratch/orosync-no-demo"

echo "check-no-fakes: markers in the default (demo) binary:" >&2
with_demo="$(found_in "$scratch/orosync-demo")"
if [ "$with_demo" -eq 0 ]; then
  echo "check-no-fakes: the demo binary holds no marker; the search proves nothing" >&2
  fail=1
fi
echo "check-no-fakes: markers in the binary without the demo feature:" >&2
without="$(found_in "$scratch/orosync-no-demo")"
if [ "$without" -ne 0 ]; then
  echo "check-no-fakes: the binary without the demo feature holds $without fake marker(s)" >&2
  fail=1
fi
if "$scratch/orosync-no-demo" demo --no-wait >/dev/null 2>&1; then
  echo "check-no-fakes: \`orosync demo\` ran in a build without the demo feature" >&2
  fail=1
fi

# Leave the default binary in place for whatever runs next (packaging).
cargo build --locked --release -p orosync --bin orosync

if [ "$fail" -ne 0 ]; then
  exit 1
fi
echo "check-no-fakes: ok ($with_demo markers with the demo, none without)"
