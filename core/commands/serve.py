"""``loci serve`` and ``loci mcp``: registered by ``core.cli.build_parser``.

``loci serve`` is the app's engine without the window: it keeps the index in step with the
folders (as ``loci watch`` does, under the writer lock) and serves it on its socket.
``loci mcp`` speaks the Model Context Protocol on stdin/stdout for AI agents; it only reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.commands.watch import add_debounce_option, cmd_watch


def add_serve_parsers(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="run the engine headless: keep the index in sync and serve it to `loci` commands",
        description="Open the index once, keep it in step with the folders (like `loci watch`) "
        "and answer `loci search`, `recall`, `status`, `errors` and `loci mcp` from it over a "
        "private local socket, so they answer in milliseconds. Stop with Ctrl-C.",
    )
    p.add_argument("folders", nargs="*", type=Path, help="folders to add (default: configured)")
    add_debounce_option(p)
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser(
        "mcp",
        help="an MCP server on stdin/stdout: lets AI agents search and read your memories",
        description="Speak the Model Context Protocol over stdio (for Claude Desktop, Gemini "
        "CLI, Cursor …). Read-only; uses the resident engine when one runs.",
    )
    p.set_defaults(func=cmd_mcp)


def cmd_serve(args: argparse.Namespace) -> int:
    return cmd_watch(args)  # loci watch serves too; this is its name for the headless engine


def cmd_mcp(args: argparse.Namespace) -> int:
    from core.mcp.server import main  # deferred: the MCP SDK loads for `loci mcp` only

    return main()
