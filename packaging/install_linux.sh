#!/usr/bin/env bash
# Install the unpacked bundle for the current user: ~/.local/opt, a launcher in ~/.local/bin,
# the desktop entry and icons so it appears in the application menu. `--uninstall` removes it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
target="$HOME/.local/opt/coursegen-desktop"
bin="$HOME/.local/bin"

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$target" "$bin/coursegen-desktop" "$prefix/applications/coursegen-desktop.desktop"
    find "$prefix/icons/hicolor" -name 'coursegen-desktop.*' -delete 2>/dev/null || true
    echo "CourseGen Desktop removed (your courses in $prefix/CourseGen Desktop are kept)."
    exit 0
fi

[ -x "$here/coursegen-desktop" ] || { echo "Run this script from the unpacked coursegen-desktop folder."; exit 1; }
mkdir -p "$target" "$bin" "$prefix/applications"
cp -a "$here/." "$target/"
ln -sf "$target/coursegen-desktop" "$bin/coursegen-desktop"
for png in "$target"/_internal/resources/icons/coursegen-*.png "$target"/resources/icons/coursegen-*.png; do
    [ -f "$png" ] || continue
    size=$(basename "$png" .png); size=${size#coursegen-}
    mkdir -p "$prefix/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$prefix/icons/hicolor/${size}x${size}/apps/coursegen-desktop.png"
done
for svg in "$target"/_internal/resources/icons/coursegen.svg "$target"/resources/icons/coursegen.svg; do
    [ -f "$svg" ] || continue
    mkdir -p "$prefix/icons/hicolor/scalable/apps" && cp "$svg" "$prefix/icons/hicolor/scalable/apps/coursegen-desktop.svg"
done
sed "s|^Exec=.*|Exec=\"$target/coursegen-desktop\" %F|" "$here/coursegen-desktop.desktop" > "$prefix/applications/coursegen-desktop.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$prefix/icons/hicolor" || true
echo "Installed to $target; start it from your application menu or with: coursegen-desktop"
