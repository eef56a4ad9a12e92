#!/bin/sh
# Install Loci for the current user: the menu entry, icons and AppStream metainfo under
# ~/.local/share, and with a one-folder build also the program under ~/.local/lib/loci with
# `loci` and `loci-desktop` linked into ~/.local/bin. Nothing needs root.
#
#   ./install.sh                  from an unpacked release tarball: installs that build
#   install.sh --build DIR        installs the one-folder build in DIR (e.g. dist/loci)
#   install.sh --exec COMMAND     only the menu entry and icons, launching COMMAND
#                                 (a source checkout: make install-desktop)
#
# Undo with uninstall.sh (or `make uninstall-desktop`).
set -eu

APP_ID=io.github.loci_desktop.Loci  # AppStream component id
DESKTOP_ID=loci-desktop             # the desktop file name the app announces
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=$HOME/.local/bin
LIB=$HOME/.local/lib/loci

build= exec_cmd=
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --exec) exec_cmd=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$build" ] && [ -z "$exec_cmd" ]; then
    if [ -x "$HERE/loci-desktop" ]; then
        build=$HERE  # run from an unpacked tarball
    else
        echo "install.sh: give --build DIR or --exec COMMAND" >&2; exit 2
    fi
fi

# Where the desktop file, metainfo and icons are: beside this script in a tarball, or in the
# source tree (packaging/linux/ and resources/icons/).
share_file() {
    for dir in "$HERE" "$HERE/packaging/linux"; do
        [ -f "$dir/$1" ] && { echo "$dir/$1"; return; }
    done
    echo "install.sh: $1 not found beside $0" >&2; exit 1
}
icons=
for dir in "$HERE/_internal/resources/icons" "$HERE/../../resources/icons" \
           "${build:+$build/_internal/resources/icons}"; do
    [ -n "$dir" ] && [ -d "$dir/hicolor" ] && { icons=$dir; break; }
done
[ -n "$icons" ] || { echo "install.sh: icons not found" >&2; exit 1; }
desktop_src=$(share_file "$DESKTOP_ID.desktop")
metainfo_src=$(share_file "$APP_ID.metainfo.xml")

if [ -n "$build" ]; then
    build=$(cd "$build" && pwd)
    [ -x "$build/loci-desktop" ] && [ -x "$build/loci" ] \
        || { echo "install.sh: $build is not a Loci build (no loci-desktop)" >&2; exit 1; }
    if [ "$build" != "$LIB" ]; then
        # Copy beside, then swap: a failed copy never leaves half a program installed.
        mkdir -p "$(dirname "$LIB")"
        rm -rf "$LIB.new"
        cp -a "$build" "$LIB.new"
        # Install-time files are not part of the program (uninstall.sh stays, to be found).
        rm -f "$LIB.new/install.sh" "$LIB.new/$DESKTOP_ID.desktop" \
              "$LIB.new/$APP_ID.metainfo.xml"
        rm -rf "$LIB"
        mv "$LIB.new" "$LIB"
    fi
    [ "$HERE/uninstall.sh" -ef "$LIB/uninstall.sh" ] || cp "$HERE/uninstall.sh" "$LIB/"
    mkdir -p "$BIN"
    ln -sfn "$LIB/loci" "$BIN/loci"
    ln -sfn "$LIB/loci-desktop" "$BIN/loci-desktop"
    exec_cmd=$LIB/loci-desktop
fi

mkdir -p "$DATA/applications" "$DATA/metainfo"
# Exec and TryExec name the program by its full path: ~/.local/bin is not on every PATH.
sed -e "s|^Exec=.*|Exec=$exec_cmd|" -e "s|^TryExec=.*|TryExec=$exec_cmd|" \
    "$desktop_src" > "$DATA/applications/$DESKTOP_ID.desktop"
cp "$metainfo_src" "$DATA/metainfo/$APP_ID.metainfo.xml"
for png in "$icons"/hicolor/*/apps/loci.png; do
    size=$(basename "$(dirname "$(dirname "$png")")")
    mkdir -p "$DATA/icons/hicolor/$size/apps"
    cp "$png" "$DATA/icons/hicolor/$size/apps/loci.png"
done
mkdir -p "$DATA/icons/hicolor/scalable/apps"
cp "$icons/loci.svg" "$DATA/icons/hicolor/scalable/apps/loci.svg"

# Refresh the caches where the tools exist; desktops also notice new files by themselves.
command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$DATA/applications" || true
# Only refresh an icon cache that exists: a new one would hide icons added later.
if [ -f "$DATA/icons/hicolor/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -t "$DATA/icons/hicolor" || true
fi

echo "Loci installed: menu entry $DATA/applications/$DESKTOP_ID.desktop"
if [ -n "$build" ]; then
    echo "Program in $LIB, commands loci and loci-desktop in $BIN."
    echo "Remove with $LIB/uninstall.sh"
fi
exit 0
