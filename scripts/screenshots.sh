#!/usr/bin/env bash
# Screenshots of the settings window (each tab), the open tray menu and
# the first-run setup (each step),
# taken from the real app (`--demo`) under Xvfb, into docs/screenshots/.
# Needs what scripts/e2e.sh needs; installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" != "--inside" ]]; then
  cargo build -p orosync-tray
  exec xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- "$0" --inside
fi
target=${CARGO_TARGET_DIR:-target}
app="$target/debug/orosync-tray"
out=docs/screenshots
mkdir -p "$out"
tmp=$(mktemp -d)
mkdir -p "$tmp/run" && chmod 700 "$tmp/run"
export XDG_RUNTIME_DIR="$tmp/run" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
IMPORT=/usr/bin/import

# The first launch runs the demo's two runs; later ones reuse its profile.
for tab in connection microsoft sync history conflicts resync; do
  "$app" --demo --profile "$tmp/profile" --settings "$tab" >/dev/null 2>&1 &
  pid=$!
  sleep 5
  "$IMPORT" -window root -crop 860x680+0+0 +repage "$out/settings-$tab.png"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

# The Sync tab at 200% zoom.
"$app" --demo --profile "$tmp/profile" --settings sync --zoom 2 >/dev/null 2>&1 &
pid=$!
sleep 5
"$IMPORT" -window root -crop 860x680+0+0 +repage "$out/settings-sync-200.png"
kill "$pid"; wait "$pid" 2>/dev/null || true

# The first-run setup, step by step, and the About tab: saved by the
# first-run WebDriver test as it goes (against its own fake servers).
OROSYNC_TEST_E2E=1 OROSYNC_SCREENSHOTS="$PWD/$out" \
  cargo test -p orosync-tray --test first_run -- --exact first_run_sets_up_and_syncs

# The tray menu, docked in trayer.
trayer --edge top --align right --widthtype request --height 24 --SetDockType true --transparent false >/dev/null 2>&1 &
pids+=($!)
"$app" --demo --profile "$tmp/profile" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 40); do
  icon=$(xdotool search --classname 'tray-icon tray app main-tray' 2>/dev/null | head -1 || true)
  [[ -n "$icon" ]] && break
  sleep 0.25
done
[[ -n "$icon" ]] || { echo "screenshots.sh: no tray icon" >&2; exit 1; }
xdotool mousemove --window "$icon" 8 8 click 3
sleep 1
"$IMPORT" -window root -crop 420x260+860+0 +repage "$out/tray-menu.png"
ls -l "$out"
