"""Entry point of the frozen build: one program under two names.

PyInstaller builds two executables from this script into one folder; they share every
library. ``loci-desktop`` (or ``Loci`` inside a macOS ``.app``) opens the window, ``loci`` is
the command line. Choosing by name keeps one analysis (half the build time) and no
platform-only paths.
"""

import os
import sys


def _program() -> str:
    return os.path.splitext(os.path.basename(sys.executable))[0].lower()


if __name__ == "__main__":
    if _program() in ("loci-desktop", "loci_desktop"):
        from desktop.app import main
    else:
        from core.cli import main
    sys.exit(main())
