"""``loci mcp``: Loci's tools over MCP on stdin/stdout, with the official ``mcp`` SDK (2.x).

The handshake is answered at once; the engine opens behind it on a thread (or the resident
engine is used when one serves this index), and the first tool call waits for it. Nothing
here writes to the index or takes its writer lock. stdout belongs to the protocol: nothing
else may print there.
"""

from __future__ import annotations

from typing import Annotated, Any

# Imported by `loci mcp` only (core.commands.serve imports this module on demand).
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ImageContent, TextContent, ToolAnnotations
from pydantic import Field

from core import __version__
from core.mcp.tools import Refused

INSTRUCTIONS = (
    "Loci is the user's personal memory: their notes, photos, PDFs, voice memos and videos, "
    "searched by meaning on their own machine. Search first, then fetch a hit's uri to read it."
)


def build(tools: Any, *, with_remember: bool = False) -> Any:
    """The MCP server over ``tools``; ``with_remember`` adds the one tool that writes."""
    server: Any = MCPServer("loci", instructions=INSTRUCTIONS, version=__version__)
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    def guard(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Refused as exc:
            raise ToolError(str(exc)) from None
        except Exception as exc:  # one line for the agent, never a traceback
            raise ToolError(f"{type(exc).__name__}: {exc}") from None

    @server.tool(
        description="Search the user's notes, photos, PDFs, audio and video by meaning. "
        "Returns hits (best first) with uri, path, kind, score, title, snippet and locator "
        "(heading, pages or seconds).",
        annotations=read_only,
    )
    def search(
        query: Annotated[str, Field(description="what to look for, in any words or language")],
        kind: Annotated[str | None, Field(description="note, image, pdf, audio or video")] = None,
        folder: Annotated[str | None, Field(description="only below this folder")] = None,
        since: Annotated[
            str | None, Field(description="modified since: 2026-03-01, 7d, 2w, 6m or 1y")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        return guard(tools.search, query, kind, folder, since, limit)  # type: ignore[no-any-return]

    @server.tool(
        description="Read a hit (its uri) or a file (its path) as text; images, PDF pages and "
        "video frames also come as a small picture; audio and video as a time-coded transcript.",
        annotations=read_only,
    )
    def fetch(
        uri_or_path: Annotated[str, Field(description="a loci:// uri from search, or a path")],
    ) -> list[TextContent | ImageContent]:
        blocks = guard(tools.fetch, uri_or_path)
        return [
            TextContent(type="text", text=b["text"])
            if b["type"] == "text"
            else ImageContent(type="image", data=b["data"], mime_type=b["mime_type"])
            for b in blocks
        ]

    @server.tool(
        description="The user's other memories most related to a hit or file, best first.",
        annotations=read_only,
    )
    def related(
        uri_or_path: Annotated[str, Field(description="a loci:// uri from search, or a path")],
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        return guard(tools.related, uri_or_path, limit)  # type: ignore[no-any-return]

    @server.tool(
        description="Loci's folders, file and piece counts, provider, and whether indexing runs.",
        annotations=read_only,
    )
    def status() -> dict[str, Any]:
        return guard(tools.status)  # type: ignore[no-any-return]

    if with_remember:

        @server.tool(
            description="Save a note into the user's memory (a new Markdown file). Only when "
            "the user asks you to remember something.",
            annotations=ToolAnnotations(
                read_only_hint=False, destructive_hint=False, open_world_hint=False
            ),
        )
        def remember(
            text: Annotated[str, Field(description="what to remember, in Markdown")],
            title: Annotated[str | None, Field(description="a short title")] = None,
        ) -> dict[str, Any]:
            return guard(tools.remember, text, title)  # type: ignore[no-any-return]

    return server


def main() -> int:
    from core.config import Settings
    from core.mcp.tools import Tools
    from core.serve.backend import open_backend

    def make_engine() -> Any:
        from core.app import Engine

        return Engine(Settings.load())

    tools = Tools(lambda: open_backend(make_engine), Settings.load)
    try:
        remember = bool(Settings.load().remember_folder)
    except Exception:  # a broken settings file: every tool call says so, in one line
        remember = False
    server = build(tools, with_remember=remember)
    tools.start()
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        pass
    return 0
