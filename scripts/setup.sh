#!/usr/bin/env bash
# Installs what OroSync's build and tests need on Debian/Ubuntu, builds
# orosync, then starts its demo (local fake Oro and Microsoft Graph with
# sample data; Ctrl-C stops it). Safe to run again: it installs only what
# is missing.
#
#   ./scripts/setup.sh             set up, then `orosync demo`
#   ./scripts/setup.sh --no-wait   set up, run the demo's two syncs, stop
#   ./scripts/setup.sh --no-demo   set up only
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
demo_args=()
for a in "$@"; do
  case "$a" in
    --no-demo) demo=0 ;;
    *) demo_args+=("$a") ;;
  esac
done

if ! command -v cargo >/dev/null; then
  echo "OroSync needs Rust 1.89 or newer (cargo). Install it with rustup, then run this again." >&2
  exit 1
fi
# shellcheck source=scripts/packages.sh
. scripts/packages.sh
orosync_install_packages
cargo build --release --locked --workspace
bin="${CARGO_TARGET_DIR:-target}/release"
if [ "$demo" -eq 1 ]; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${#demo_args[@]}" -eq 0 ]; then
    # The tray app on the built-in demo: its icon in the tray, its
    # settings window open. Quit from the tray menu ends it.
    exec "$bin/orosync-tray" --demo --settings
  fi
  # No display (a server, a container): the same demo on the command line,
  # from the binary just built (`cargo run` would build the engine again
  # with other features, and turn Ctrl-C into exit 101).
  exec "$bin/orosync" demo "${demo_args[@]}"
fi
