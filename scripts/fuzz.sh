#!/bin/sh
# Run every fuzz target for a bounded time (OROSYNC_FUZZ_SECONDS each,
# default 60). Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); on the
# stable toolchain RUSTC_BOOTSTRAP=1 lets cargo fuzz pass its nightly flags.
# Each target starts from its committed seeds (fuzz/seeds/<target>/, real
# answers of each shape) and a dictionary of the keys its parser branches
# on (fuzz/dict/); what it learns goes to a scratch corpus, not the clone.
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
set -eu
cd "$(dirname "$0")/../fuzz"
seconds="${OROSYNC_FUZZ_SECONDS:-60}"
export RUSTC_BOOTSTRAP=1
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cargo fuzz build
for target in $(cargo fuzz list); do
    dict=dict/json.dict
    [ "$target" = config ] && dict=dict/toml.dict
    mkdir -p "$scratch/$target"
    seeds=""
    [ -d "seeds/$target" ] && seeds="seeds/$target"
    echo "fuzz: $target for ${seconds}s (seeds: $(ls "seeds/$target" 2>/dev/null | wc -l))"
    # shellcheck disable=SC2086 # $seeds is one directory or nothing
    cargo fuzz run "$target" "$scratch/$target" $seeds -- \
        -dict="$dict" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536
done
