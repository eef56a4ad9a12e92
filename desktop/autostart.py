"""Start at login on Linux: an XDG autostart ``.desktop`` file, present or not."""

from __future__ import annotations

import os
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


def set_enabled(enabled: bool, command: str = "loci-desktop") -> None:
    file = autostart_file()
    if enabled:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(ENTRY.format(exec=command), encoding="utf-8")
    else:
        file.unlink(missing_ok=True)
