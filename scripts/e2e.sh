#!/usr/bin/env bash
# The tray's system-level tests: WebDriver end to end (tauri-driver +
# WebKitWebDriver), notifications on a private D-Bus session, and the real
# tray icon under trayer. Installs nothing; needs (Debian/Ubuntu):
#   apt-get install -y --no-install-recommends libwebkit2gtk-4.1-dev \
#     libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev \
#     libayatana-appindicator3-dev librsvg2-dev libxdo-dev libdbus-1-dev \
#     dbus dbus-x11 xvfb xauth x11-utils xdotool imagemagick \
#     webkit2gtk-driver trayer
#   cargo install tauri-driver --locked
# Runs itself again inside `xvfb-run -a dbus-run-session` when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--inside" ]]; then
  for tool in xvfb-run dbus-run-session WebKitWebDriver tauri-driver; do
    command -v "$tool" >/dev/null || { echo "e2e.sh: $tool is missing (see the top of this script)" >&2; exit 2; }
  done
  # Build first, outside the display, so the timing of the tests is theirs.
  cargo build -p orosync-tray --tests --bins
  exec xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- "$0" --inside
fi

# Nothing of the tests may land in $HOME.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/run" && chmod 700 "$tmp/run"
export XDG_RUNTIME_DIR="$tmp/run" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
export OROSYNC_TEST_E2E=1 OROSYNC_TEST_DBUS=1 OROSYNC_TEST_TRAY=1
# One app at a time: they share the display and the bus (each WebDriver
# test starts tauri-driver on free ports of its own).
timeout 1200 cargo test -p orosync-tray --test notifications --test e2e --test first_run --test tray -- --test-threads=1
