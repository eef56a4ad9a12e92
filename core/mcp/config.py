"""Copy-paste configuration that points an MCP client (Claude Desktop, Gemini CLI, Cursor) at
``loci mcp``, with the full path of the installed ``loci`` command."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

CLIENTS = {
    "Claude Desktop": "claude_desktop_config.json",
    "Gemini CLI": "~/.gemini/settings.json",
    "Cursor": ".cursor/mcp.json",
}


def loci_command() -> str:
    """The full path of ``loci``: beside this Python (a venv, the frozen build) or on PATH."""
    here = Path(sys.executable).parent
    for name in ("loci", "loci.exe"):
        if (here / name).is_file():
            return os.fspath(here / name)
    return shutil.which("loci") or "loci"


def snippet(client: str, command: str | None = None) -> str:
    """The JSON to merge into ``CLIENTS[client]``."""
    entry: dict[str, object] = {"command": command or loci_command(), "args": ["mcp"]}
    if client == "Gemini CLI":
        entry["timeout"] = 30000  # ms for a call; the first one may wait for the index to open
    # The README's shape: short enough to read whole in the Settings dialog.
    return '{\n  "mcpServers": {\n    "loci": ' + json.dumps(entry) + "\n  }\n}"
