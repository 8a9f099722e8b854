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

packages=(
  ca-certificates curl git build-essential pkg-config
  libdbus-1-dev dbus dbus-x11 gnome-keyring libsecret-tools
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v cargo >/dev/null; then
  echo "OroSync needs Rust (cargo). Install it from your distribution or rustup, then run this again." >&2
  exit 1
fi
cargo build --release --locked
if [ "$demo" -eq 1 ]; then
  # The tray app's `--demo` is not built yet; the CLI demo shows the same.
  exec cargo run --release --locked --quiet -- demo "${demo_args[@]}"
fi
