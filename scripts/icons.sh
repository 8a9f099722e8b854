#!/usr/bin/env bash
# Renders every icon from one drawing, src-tauri/icons/icon.svg (two
# chasing arrows on a disc):
# - the app icons the bundles ask for: hicolor PNGs 32/64/128/256/512 for
#   Linux (icon.png is the 512 one), icon.ico for Windows and
#   icon.icns for macOS, by the Tauri CLI's `icon` command;
# - the tray's state icons: the same drawing with the disc recoloured and a
#   corner badge (ImageMagick), at 64 px.
# The generated files are committed; run this again only after changing the
# drawing. Needs the Tauri CLI (`npm ci` at the top of the repo) and
# ImageMagick.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/src-tauri/icons"
CONVERT=/usr/bin/convert   # another `convert` may come first on the PATH
TAURI="$root/node_modules/.bin/tauri"
[ -x "$TAURI" ] || (cd "$root" && npm ci --no-audit --no-fund --silent)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# App icons. The Windows Store logos, Android and iOS icons `tauri icon`
# also writes are not used by these bundles (MSI/NSIS take the .ico).
"$TAURI" icon icon.svg -o "$tmp/all" >/dev/null 2>&1
"$TAURI" icon icon.svg -o "$tmp/png" -p 32,64,128,256,512 >/dev/null 2>&1
cp "$tmp"/png/*.png "$tmp/all/icon.ico" "$tmp/all/icon.icns" .
cp "$tmp/png/512x512.png" icon.png

# render NAME DISC_COLOUR [BADGE_COLOUR BADGE_TEXT]: drawn at 256 px, then scaled.
render() {
  local name=$1 colour=$2 badge=()
  sed "s/#1f6feb/$colour/" icon.svg >"$tmp/$name.svg"
  "$TAURI" icon "$tmp/$name.svg" -o "$tmp/$name" -p 256 >/dev/null 2>&1
  if [[ $# -ge 4 ]]; then
    badge=(-fill "$3" -stroke white -strokewidth 10 -draw "circle 196,196 196,136"
           -stroke none -fill white -font DejaVu-Sans-Bold -pointsize 92
           -gravity center -annotate +68+66 "$4" -gravity northwest)
  fi
  "$CONVERT" "$tmp/$name/256x256.png" "${badge[@]}" -resize 64x64 "PNG32:$name.png"
}
render tray-idle      '#1f6feb'
render tray-syncing   '#1f6feb' '#2da44e' '↻'
render tray-error     '#cf222e' '#82071e' '!'
render tray-conflicts '#bf8700' '#7d4e00' '?'
render tray-paused    '#6e7781' '#424a53' '‖'
# Offline: not a state the user chose, so unlike Paused: the idle icon
# faded to grey (55% opaque) with a dark "×" badge, drawn at 64 px.
"$CONVERT" tray-idle.png -modulate 100,0 -channel A -evaluate multiply 0.55 +channel \
  -fill '#24292f' -stroke white -strokewidth 2.5 -draw "circle 49,49 49,34" \
  -stroke none -fill white -font DejaVu-Sans-Bold -pointsize 24 \
  -gravity center -annotate +17+16 '×' -gravity northwest PNG32:tray-offline.png
ls -l ./*.png ./*.ico ./*.icns
