#!/usr/bin/env bash
# Renders the tray's state icons and the app icon from one drawing (below)
# with ImageMagick's vector primitives: the same two chasing arrows on a
# disc whose colour, and an optional corner badge, tell the state. The PNGs
# are committed; run this again only after changing the drawing.
set -euo pipefail
cd "$(dirname "$0")/../src-tauri/icons"
CONVERT=/usr/bin/convert   # another `convert` may come first on the PATH

# render NAME DISC_COLOUR [BADGE_COLOUR BADGE_TEXT]; drawn at 256 px, then scaled.
render() {
  local name=$1 colour=$2 badge=(-stroke none)
  if [[ $# -ge 4 ]]; then
    badge=(-fill "$3" -stroke white -strokewidth 10 -draw "circle 196,196 196,136"
           -stroke none -fill white -font DejaVu-Sans-Bold -pointsize 92
           -gravity center -annotate +68+66 "$4" -gravity northwest)
  fi
  "$CONVERT" -size 256x256 xc:none \
    -fill "$colour" -draw "circle 128,128 128,6" \
    -fill none -stroke white -strokewidth 24 \
    -draw "path 'M 64,124 A 64,64 0 0 1 176,84'" \
    -draw "path 'M 192,136 A 64,64 0 0 1 80,176'" \
    -stroke none -fill white \
    -draw "polygon 150,44 212,64 174,118" \
    -draw "polygon 106,212 44,192 82,138" \
    "${badge[@]}" \
    "PNG32:$name.png"
}
render icon           '#1f6feb'
render tray-idle      '#1f6feb'
render tray-syncing   '#1f6feb' '#2da44e' '↻'
render tray-error     '#cf222e' '#82071e' '!'
render tray-conflicts '#bf8700' '#7d4e00' '?'
render tray-paused    '#6e7781' '#424a53' '‖'
for f in tray-*.png; do "$CONVERT" "$f" -resize 64x64 "PNG32:$f"; done
"$CONVERT" icon.png -resize 32x32 PNG32:32x32.png
"$CONVERT" icon.png -resize 128x128 PNG32:128x128.png
ls -l ./*.png
