#!/usr/bin/env bash
# Issue 8's tray figures for the RELEASE build of the tray app, under Xvfb
# with a real tray (trayer, XEmbed) and a private D-Bus session:
#   (a) launch to tray icon docked: wall time from starting the process to
#       its icon window being mapped in the tray (xdotool polled every 10 ms),
#       over OROSYNC_BENCH_LAUNCHES launches (default 5);
#   (b) idle memory of ALL the app's processes (the tray process and any
#       children, e.g. WebKit's), settings window never opened, 10 s after
#       launch: RSS summed, and PSS summed (shared pages split fairly);
#   (c) idle CPU of those processes over OROSYNC_BENCH_IDLE_SECONDS
#       (default 30), from /proc/PID/stat utime+stime;
#   (d) the time from asking for the settings window (a second launch,
#       handed over to the running app) to the window being mapped;
#   then the same memory and process count with the settings window open
#   (its own process and WebKit's under it), and after it was closed again.
# The profile is a real one in manual mode (nothing to sync), so the figures
# are the shell's, not a sync's.
#
#   OROSYNC_BUNDLES=deb ./scripts/package.sh   # the release build
#   benches/tray.sh [PATH_TO_orosync-tray]     # default: $CARGO_TARGET_DIR/release/orosync-tray
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/release/orosync-tray}"
[ -x "$bin" ] || { echo "tray.sh: no $bin; build it with scripts/package.sh (release)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

if [ -z "${OROSYNC_BENCH_INSIDE:-}" ]; then
  echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg) at start"
  echo "binary:  $bin ($(du -h "$bin" | cut -f1))"
  OROSYNC_BENCH_INSIDE=1 exec xvfb-run -a -s '-screen 0 1280x800x24' \
    dbus-run-session -- "$0" "$bin"
fi

launches="${OROSYNC_BENCH_LAUNCHES:-5}"
idle="${OROSYNC_BENCH_IDLE_SECONDS:-30}"
tmp="$(mktemp -d)"
export HOME=$tmp XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config \
  XDG_RUNTIME_DIR=$tmp/run TMPDIR=$tmp/tmp OROSYNC_ORO_API_KEY=bench-not-a-secret
mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$TMPDIR" "$tmp/profile"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
cat >"$tmp/profile/config.toml" <<TOML
[oro]
url = "http://127.0.0.1:9"
username = "bench"
auth = "wsse"

[outlook]
client_id = "00000000-0000-0000-0000-000000000000"

[sync]
mode = "manual"
TOML

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trayer --edge top --align right --widthtype request --height 24 --SetDockType true \
  --transparent false >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do xdotool search --classname '^panel$' >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
icon_up() { xdotool search --onlyvisible --classname 'tray-icon tray app main-tray' 2>/dev/null | head -1; }

# The app's process and all its descendants.
tree() {
  local all=("$1") i=0 kids
  while [ $i -lt ${#all[@]} ]; do
    kids="$(pgrep -P "${all[$i]}" || true)"
    for k in $kids; do all+=("$k"); done
    i=$((i + 1))
  done
  echo "${all[@]}"
}
kib() { # kib FIELD PIDS...: sum of a /proc/PID/smaps_rollup field (RSS from status)
  local f=$1 sum=0 v; shift
  for p in "$@"; do
    if [ "$f" = Rss ]; then v="$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null)"
    else v="$(awk -v f="$f:" '$1 == f {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null)"; fi
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
ticks() { # utime + stime of PIDS, in clock ticks
  local sum=0 p
  for p in "$@"; do
    sum=$((sum + $(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0)))
  done
  echo "$sum"
}
each() { # each PIDS...: "name RSS" per process
  local p sep=""
  for p in "$@"; do
    printf '%s%s %.1f' "$sep" "$(cat /proc/"$p"/comm 2>/dev/null)" \
      "$(awk '/^VmRSS:/ {print $2 / 1024}' /proc/"$p"/status 2>/dev/null)"
    sep=", "
  done
}
memory() { # memory LABEL: one line with the app's processes and their memory
  local ps; read -r -a ps <<<"$(tree "$app")"
  printf '%-34s %d process(es) [%s]: RSS %.1f MiB, PSS %.1f MiB; the tray process: %.1f MiB anonymous\n' \
    "$1" "${#ps[@]}" "$(each "${ps[@]}")" \
    "$(awk -v k="$(kib Rss "${ps[@]}")" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(kib Pss "${ps[@]}")" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(kib Anonymous "$app")" 'BEGIN {print k / 1024}')"
}

# (a) launch to icon, N times; the last launch stays for (b) and (c).
times=()
for i in $(seq 1 "$launches"); do
  t0=$(now_ms)
  "$bin" --profile "$tmp/profile" >"$tmp/app.log" 2>&1 &
  app=$!
  until [ -n "$(icon_up)" ]; do
    kill -0 "$app" 2>/dev/null || { echo "the app died:"; cat "$tmp/app.log"; exit 1; }
    [ $(( $(now_ms) - t0 )) -lt 30000 ] || { echo "no tray icon within 30 s"; exit 1; }
    sleep 0.01
  done
  times+=($(( $(now_ms) - t0 )))
  if [ "$i" -lt "$launches" ]; then
    kill "$app"; wait "$app" 2>/dev/null || true
    while [ -n "$(icon_up)" ]; do sleep 0.05; done
  fi
done
pids+=("$app")
sorted="$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')"
median="$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
echo "(a) launch to tray icon docked:    median ${median} ms over ${launches} launches (each: ${sorted% }) [target < 1000 ms]"

sleep 10
memory "(b) idle, settings never opened:"
read -r -a ps <<<"$(tree "$app")"
c0=$(ticks "${ps[@]}"); w0=$(now_ms)
sleep "$idle"
read -r -a ps <<<"$(tree "$app")"
c1=$(ticks "${ps[@]}"); w1=$(now_ms)
hz=$(getconf CLK_TCK)
printf '(c) idle CPU over %d s:             %d ticks of 1/%d s = %.2f%% of one core\n' \
  "$idle" $((c1 - c0)) "$hz" "$(awk -v t=$((c1 - c0)) -v hz="$hz" -v ms=$((w1 - w0)) 'BEGIN {print t / hz * 100000 / ms}')"

# The settings window: a second launch hands over to the running app
# (single instance), which opens it.
t0=$(now_ms)
"$bin" --profile "$tmp/profile" >/dev/null 2>&1 || true
win=""
until [ -n "$win" ]; do
  win="$(xdotool search --onlyvisible --name '^OroSync settings$' 2>/dev/null | head -1 || true)"
  [ $(( $(now_ms) - t0 )) -lt 30000 ] || { echo "the settings window did not open"; exit 1; }
  [ -n "$win" ] || sleep 0.01
done
echo "(d) settings window shown:         $(( $(now_ms) - t0 )) ms after the second launch asked for it (its own process)"
sleep 5
memory "    settings window open:"
python3 "$root/scripts/close-window.py" "$win"
for _ in $(seq 1 50); do
  [ -z "$(xdotool search --onlyvisible --name '^OroSync settings$' 2>/dev/null)" ] && break
  sleep 0.1
done
sleep 10
memory "    10 s after it was closed:"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
