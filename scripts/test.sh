#!/usr/bin/env bash
# Runs every test of OroSync: formatting, lints, the engine's unit,
# contract, scenario, property and crash tests, the CLI's process tests,
# the tray app's tests on Tauri's mock runtime, then the system tests (the
# real window through WebDriver, notifications, the tray icon) under Xvfb.
# Tests that need the OS keyring run inside a private D-Bus session with an
# unlocked throw-away gnome-keyring, as on a desktop.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${OROSYNC_IN_SESSION:-}" ] && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  export OROSYNC_IN_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
if [ -n "${OROSYNC_IN_SESSION:-}" ]; then
  # A throw-away keyring, unlocked with a throw-away password.
  XDG_DATA_HOME="$(mktemp -d)"
  export XDG_DATA_HOME
  echo -n orosync-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  export OROSYNC_TEST_KEYRING=1
fi

cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo test --locked --workspace
./scripts/e2e.sh
