#!/bin/sh
# Remove what install.sh put under ~/.local (and the "start at login" entry, which would point
# at a program no longer there). The index and settings stay unless --purge is given.
#
#   uninstall.sh            remove the program, menu entry, icons and metainfo
#   uninstall.sh --purge    also remove the index, thumbnails and settings
set -eu

APP_ID=io.github.loci_desktop.Loci
DESKTOP_ID=loci-desktop
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
CONFIG=${XDG_CONFIG_HOME:-$HOME/.config}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}
BIN=$HOME/.local/bin
LIB=$HOME/.local/lib/loci

purge=
case ${1:-} in
    --purge) purge=1 ;;
    "") ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown argument $1" >&2; exit 2 ;;
esac

rm -f "$DATA/applications/$DESKTOP_ID.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml" \
      "$CONFIG/autostart/$DESKTOP_ID.desktop"
for icon in "$DATA"/icons/hicolor/*/apps/loci.png "$DATA/icons/hicolor/scalable/apps/loci.svg"; do
    rm -f "$icon"
done
# Only the links install.sh made: a `loci` from pip elsewhere on PATH is not ours to remove.
for name in loci loci-desktop; do
    if [ -L "$BIN/$name" ] && [ "$(readlink "$BIN/$name")" = "$LIB/$name" ]; then
        rm -f "$BIN/$name"
    fi
done
rm -rf "$LIB"
# Only rebuildable copies (the offline model in a fast-loading form): no use without Loci.
rm -rf "$CACHE/loci"

if [ -n "$purge" ]; then
    rm -rf "$DATA/loci" "$CONFIG/loci"
    echo "Loci removed, with its index and settings."
else
    echo "Loci removed. The index and settings stay in $DATA/loci and $CONFIG/loci" \
         "(uninstall.sh --purge removes them)."
fi
command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$DATA/applications" || true
# Only refresh an icon cache that exists: a new one would hide icons added later.
if [ -f "$DATA/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
fi
exit 0
