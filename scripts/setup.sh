#!/usr/bin/env bash
# Installs what OroSync's build and tests need on Debian/Ubuntu, then builds.
# Safe to run again: it installs only what is missing.
set -euo pipefail

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
