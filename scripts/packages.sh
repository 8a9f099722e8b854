#!/usr/bin/env bash
# The Debian/Ubuntu packages OroSync's build and tests need, installed only
# when missing; sourced by setup.sh and .ci/run so the list lives once.
orosync_packages=(
  ca-certificates curl git build-essential pkg-config file
  # the engine: keyring (Secret Service) over D-Bus
  libdbus-1-dev dbus dbus-x11 dbus-user-session gnome-keyring libsecret-tools
  # the tray app: Tauri v2 on WebKitGTK, tray icon, notifications
  libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev
  libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev libnotify-bin
  # headless runs and end-to-end tests: X server, WebDriver, real tray
  xvfb xauth x11-utils xdotool imagemagick webkit2gtk-driver trayer
  # closing a window as a window manager does (scripts/close-window.py: ctypes, libX11)
  python3
  # packaging (scripts/package.sh, package-check.sh): Node.js runs the npm Tauri
  # CLI (npm itself comes with the machine's Node.js); desktop entry and .rpm checks
  nodejs desktop-file-utils rpm
)

orosync_install_packages() {
  local missing=() p sudo=""
  for p in "${orosync_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # apt's and dpkg's output (hundreds of lines) goes to a log; the screen
    # gets one line, and the log's tail only if something failed.
    local log
    log="$(mktemp -t orosync-apt.XXXXXX)"
    echo "Installing ${#missing[@]} system packages (details: $log)..."
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      echo "Installing system packages failed; the whole output is in $log" >&2
      return 1
    fi
    echo "Installed: ${missing[*]}"
  fi
  # WebDriver server for the tray's end-to-end tests (Tauri's documented way).
  if ! command -v tauri-driver >/dev/null; then
    echo "Installing tauri-driver (WebDriver for the end-to-end tests)..."
    cargo install tauri-driver --locked --quiet
  fi
}
