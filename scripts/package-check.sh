#!/usr/bin/env bash
# Builds the .deb (and .rpm) with scripts/package.sh, unpacks the .deb into
# a throw-away root (`dpkg-deb -x`, nothing installed on this machine),
# checks what it ships, then starts the INSTALLED tray app on the demo
# under Xvfb with a real tray (trayer) and a private D-Bus session, and
# quits it from its tray menu. One PASS/FAIL line per check; exits non-zero
# when any check failed. CI runs it after the tests (.ci/run).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check WHAT COMMAND...: PASS when the command succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

out="$(./scripts/package.sh)" || { echo "FAIL: scripts/package.sh could not build the packages"; exit 1; }
deb="$(grep '\.deb$' <<<"$out" | tail -1)"
rpm="$(grep '\.rpm$' <<<"$out" | tail -1)"
[ -f "$deb" ] || { echo "FAIL: no .deb among: $out"; exit 1; }
pass "built $deb"
check "built a non-empty .rpm ($rpm)" test -s "$rpm"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' src-tauri/Cargo.toml | head -1)"
work="$(mktemp -d)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
dest="$work/root"
dpkg-deb -x "$deb" "$dest" || { echo "FAIL: dpkg-deb -x $deb"; exit 1; }

# --- control fields
ctl="$work/control"
dpkg-deb -f "$deb" >"$ctl"
field() { sed -n "s/^$1: //p" "$ctl"; }
check "control: Package is orosync" test "$(field Package)" = orosync
check "control: Version $(field Version) is Cargo's $version" test "$(field Version)" = "$version"
check "control: Architecture $(field Architecture) is dpkg's $(dpkg --print-architecture)" \
  test "$(field Architecture)" = "$(dpkg --print-architecture)"
check "control: Maintainer is set ($(field Maintainer))" test -n "$(field Maintainer)"
check "control: Description is set ($(field Description))" test -n "$(field Description)"
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1; do
  check "control: Depends names $dep" grep -q "^Depends:.*\b$dep\b" "$ctl"
done
for dep in $(field Depends | tr -d ' ' | tr ',|' '  ' | sed 's/([^)]*)//g'); do
  check "control: dependency $dep is a package Debian knows" \
    bash -c "apt-cache show '$dep' >/dev/null 2>&1 || dpkg-query -W '$dep' >/dev/null 2>&1"
done

# --- binaries
for bin in orosync-tray orosync; do
  check "ships /usr/bin/$bin, executable" test -x "$dest/usr/bin/$bin"
  check "/usr/bin/$bin is a stripped ELF executable" \
    bash -c "file -b '$dest/usr/bin/$bin' | grep -q 'ELF.*stripped' && ! file -b '$dest/usr/bin/$bin' | grep -q 'not stripped'"
done
check "installed orosync --version says $version" \
  bash -c "'$dest/usr/bin/orosync' --version | grep -qx 'orosync $version'"

# --- desktop entry
desktop="$dest/usr/share/applications/orosync.desktop"
check "ships the desktop entry /usr/share/applications/orosync.desktop" test -f "$desktop"
if [ -f "$desktop" ]; then
  said="$(desktop-file-validate "$desktop" 2>&1)"; rc=$?
  check "desktop-file-validate accepts it${said:+ ($said)}" test "$rc" -eq 0 -a -z "$(grep -E 'error|warning' <<<"$said")"
  entry() { sed -n "s/^$1=//p" "$desktop"; }
  check "desktop entry: Name=OroSync" test "$(entry Name)" = OroSync
  check "desktop entry: Exec=orosync-tray (on the PATH: /usr/bin)" test "$(entry Exec)" = orosync-tray
  check "desktop entry: Icon=orosync-tray" test "$(entry Icon)" = orosync-tray
  check "desktop entry: Comment is set" test -n "$(entry Comment)"
  check "desktop entry: Categories=$(entry Categories)" test -n "$(entry Categories)"
  check "desktop entry: StartupWMClass=$(entry StartupWMClass)" test -n "$(entry StartupWMClass)"
fi

# --- icons: one per hicolor size, at that size
for s in 32 64 128 256 512; do
  icon="$dest/usr/share/icons/hicolor/${s}x${s}/apps/orosync-tray.png"
  dims="$(/usr/bin/identify -format '%wx%h' "$icon" 2>/dev/null)"
  check "icon ${s}x${s}/apps/orosync-tray.png is ${s}x${s} (got ${dims:-none})" test "$dims" = "${s}x${s}"
done

# --- the .rpm: the same files and version (read with Debian's rpm tool)
if command -v rpm >/dev/null && [ -s "$rpm" ]; then
  rpmfiles="$(rpm -qpl "$rpm" 2>/dev/null)"
  for f in /usr/bin/orosync-tray /usr/bin/orosync /usr/share/applications/orosync.desktop \
    /usr/share/icons/hicolor/{32x32,64x64,128x128,256x256,512x512}/apps/orosync-tray.png; do
    check "rpm ships $f" grep -qxF "$f" <<<"$rpmfiles"
  done
  check "rpm: version is Cargo's $version" test "$(rpm -qp --qf '%{VERSION}' "$rpm" 2>/dev/null)" = "$version"
else
  echo "INFO: no rpm tool: the .rpm's contents are not checked"
fi

# --- the installed app, on the demo, under Xvfb with a tray
# StartupWMClass must be the settings window's WM_CLASS for docks to group
# it with the launcher; the window is opened by --settings.
run="$work/run.sh"
cat >"$run" <<'RUN'
#!/usr/bin/env bash
# Inside xvfb-run and dbus-run-session: $1 the installed binary, $2 a folder.
set -u
bin=$1; tmp=$2
export HOME=$tmp XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config XDG_RUNTIME_DIR=$tmp/run TMPDIR=$tmp/tmp
mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$TMPDIR" && mkdir -m 700 -p "$XDG_RUNTIME_DIR"
trayer --edge top --align right --widthtype request --height 24 --SetDockType true --transparent false >/dev/null 2>&1 &
trayer=$!
trap 'kill $trayer 2>/dev/null' EXIT
"$bin" --demo --settings sync >"$tmp/app.log" 2>&1 &
app=$!
icon=""
for _ in $(seq 1 120); do
  icon="$(xdotool search --classname 'tray-icon tray app main-tray' 2>/dev/null | head -1)"
  [ -n "$icon" ] && break
  sleep 0.25
done
[ -n "$icon" ] && echo "PASS: the installed orosync-tray --demo docked its tray icon (window $icon)" \
  || { echo "FAIL: no tray icon within 30 s"; cat "$tmp/app.log"; kill $app; exit 1; }
win=""
for _ in $(seq 1 80); do
  win="$(xdotool search --name '^OroSync settings$' 2>/dev/null | head -1)"
  [ -n "$win" ] && break
  sleep 0.25
done
if [ -n "$win" ]; then
  class="$(xprop -id "$win" WM_CLASS | sed 's/.*= //')"
  echo "INFO: settings window WM_CLASS $class"
  grep -qF "\"$3\"" <<<"$class" && echo "PASS: StartupWMClass $3 is the window's WM_CLASS ($class)" \
    || echo "FAIL: StartupWMClass $3 is not in the window's WM_CLASS ($class)"
else
  echo "FAIL: the settings window did not open"
fi
sleep 3
kill -0 $app 2>/dev/null && echo "PASS: still running 3 s after the window opened" \
  || { echo "FAIL: the app died"; cat "$tmp/app.log"; exit 1; }
# The window is a process of its own (so closing it gives its memory back),
# and no WebKit process belongs to the tray's.
winproc="$(pgrep -P $app -f -- '--window' | head -1)"
[ -n "$winproc" ] && echo "PASS: the settings window runs in its own process ($winproc, under the tray's)" \
  || echo "FAIL: no window process under the tray's"
webkit="$(pgrep -P $app -f WebKit || true)"
[ -z "$webkit" ] && echo "PASS: no WebKit process under the tray's own" \
  || echo "FAIL: WebKit processes under the tray's own: $webkit"
# Quit, the tray menu's last item. Under load the menu can take a while to
# open and a key pressed before that goes elsewhere: try up to 3 times.
for _ in 1 2 3; do
  xdotool mousemove --window "$icon" 8 8 click 3; sleep 1.5
  xdotool key Up; sleep 0.3; xdotool key Return
  for _ in $(seq 1 20); do kill -0 $app 2>/dev/null || break; sleep 0.25; done
  kill -0 $app 2>/dev/null || break
  xdotool key Escape
done
if kill -0 $app 2>/dev/null; then
  echo "FAIL: still running after Quit was picked 3 times"; kill $app; exit 1
fi
wait $app; rc=$?
[ $rc -eq 0 ] && echo "PASS: Quit from the tray menu ended it with status 0" \
  || { echo "FAIL: it exited with status $rc"; cat "$tmp/app.log"; }
if [ -n "$winproc" ]; then
  for _ in $(seq 1 20); do kill -0 "$winproc" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$winproc" 2>/dev/null && echo "FAIL: the window process outlived Quit" \
    || echo "PASS: Quit closed the window's process too"
fi
grep -q 'two runs made' "$tmp/app.log" && echo "PASS: the demo's two runs were made ($(grep -o 'two runs made[^;]*' "$tmp/app.log"))" \
  || { echo "FAIL: the demo's runs are not in its output"; cat "$tmp/app.log"; }
RUN
chmod +x "$run"
wmclass="$(sed -n 's/^StartupWMClass=//p' "$desktop" 2>/dev/null)"
mkdir -p "$work/app"
while IFS= read -r line; do
  echo "$line"
  case "$line" in
    FAIL:*) fails=$((fails + 1)) ;;
    "EXIT: 0") ;;
    EXIT:*) echo "FAIL: the run under Xvfb ended with status ${line#EXIT: }"; fails=$((fails + 1)) ;;
  esac
done < <(timeout 180 xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- "$run" "$dest/usr/bin/orosync-tray" "$work/app" "$wmclass" 2>&1; echo "EXIT: $?")
# The demo's throw-away profile goes with Quit.
check "Quit removed the demo's throw-away profile" \
  test -z "$(find "$work/app/tmp" -maxdepth 1 -name 'orosync-demo-*' 2>/dev/null)"

if [ "$fails" -eq 0 ]; then
  echo "package-check: all checks passed"
else
  echo "package-check: $fails check(s) FAILED"
  exit 1
fi
