#!/usr/bin/env bash
# Builds OroSync's Linux packages with the Tauri bundler (release build):
# a .deb and a .rpm, each with the tray app (/usr/bin/orosync-tray), the
# command line (/usr/bin/orosync), the desktop entry and the icons; then
# prints their paths, one a line. Nothing is downloaded at build time
# except, the first time, the pinned Tauri CLI from the npm registry
# (package.json + package-lock.json, installed by `npm ci` into
# ./node_modules). AppImage is not built: its bundler downloads tools.
#
#   ./scripts/package.sh              # .deb and .rpm
#   OROSYNC_BUNDLES=deb ./scripts/package.sh
#
# The build goes to $CARGO_TARGET_DIR (default ./target); the packages to
# $CARGO_TARGET_DIR/release/bundle/{deb,rpm}/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$root/$CARGO_TARGET_DIR" ;; esac
bundles="${OROSYNC_BUNDLES:-deb,rpm}"

command -v npm >/dev/null || { echo "package.sh: needs Node.js and npm for the Tauri CLI (e.g. apt-get install nodejs npm)" >&2; exit 2; }
# The Tauri CLI at the version package-lock.json pins (the same 2.x as the
# `tauri` crate in Cargo.lock).
want="$(node -p 'require("./package-lock.json").packages["node_modules/@tauri-apps/cli"].version')"
have="$(node -p 'require("./node_modules/@tauri-apps/cli/package.json").version' 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# What a package ships: no debug info, symbols stripped (the release
# profile keeps line tables for the benches' profiles), and whole-program
# optimisation (fat LTO, one codegen unit): 22 MB instead of 28 MB for the
# tray, and 3.5 MB less of it resident in the tray's idle process
# (docs/benchmarks.md, "Tray app"); it costs minutes of build, so day-to-day
# release builds (scripts/setup.sh, the benches) go without.
export CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true \
  CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1

# The command line goes in the same package: people expect `orosync` on
# the PATH next to the tray app. It is built with both packages selected
# and the feature `tauri build` adds, so its dependencies get the same
# features as the tray build below and are built once (the CLI's package
# alone would give them other features: minutes on a cold build); only its
# binary, since `tauri build` builds the tray again whatever is there (its
# environment reaches the build script), and a fat-LTO link is minutes.
# The CLI's path is only known here, so it is passed as a config overlay
# rather than written in tauri.linux.conf.json.
cargo build --release --locked -p orosync -p orosync-tray --bin orosync --features tauri/custom-protocol
cli="$CARGO_TARGET_DIR/release/orosync"
overlay="$(printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/orosync":"%s"}},"rpm":{"files":{"/usr/bin/orosync":"%s"}}}}}' "$cli" "$cli")"

stamp="$(mktemp)"
trap 'rm -f "$stamp"' EXIT
(cd src-tauri && "$root/node_modules/.bin/tauri" build --ci --bundles "$bundles" --config "$overlay" -- --locked)

# The packages this run wrote.
find "$CARGO_TARGET_DIR/release/bundle" \( -name '*.deb' -o -name '*.rpm' \) -newer "$stamp" | sort
