"""Start at login on Linux: an XDG autostart ``.desktop`` file, present or not."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ENTRY = """[Desktop Entry]
Type=Application
Name=Loci
Comment=Search your notes, photos and PDFs by meaning
Exec={exec}
Icon=loci
Terminal=false
X-GNOME-Autostart-enabled=true
"""


def supported() -> bool:
    return sys.platform.startswith("linux")


def autostart_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / "loci-desktop.desktop"


def is_enabled() -> bool:
    return autostart_file().exists()


def default_command() -> str:
    """What starts this Loci at login: the frozen binary itself, or the installed script."""
    if getattr(sys, "frozen", False):
        return sys.executable
    return shutil.which("loci-desktop") or "loci-desktop"


def set_enabled(enabled: bool, command: str | None = None) -> None:
    command = command or default_command()
    file = autostart_file()
    if enabled:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(ENTRY.format(exec=command), encoding="utf-8")
    else:
        file.unlink(missing_ok=True)
