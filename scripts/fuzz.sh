#!/bin/sh
# Run every fuzz target for a bounded time (OROSYNC_FUZZ_SECONDS each,
# default 60). Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); on the
# stable toolchain RUSTC_BOOTSTRAP=1 lets cargo fuzz pass its nightly flags.
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
set -eu
cd "$(dirname "$0")/../fuzz"
seconds="${OROSYNC_FUZZ_SECONDS:-60}"
export RUSTC_BOOTSTRAP=1
cargo fuzz build
for target in $(cargo fuzz list); do
    echo "fuzz: $target for ${seconds}s"
    cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536
done
