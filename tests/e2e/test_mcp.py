"""``loci mcp`` driven by the official MCP SDK's own client over stdio, as an agent runs it."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from core.config import Settings
from tests.e2e.test_cli import loci
from tests.helpers import make_image, make_pdf, write

pytestmark = pytest.mark.slow


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "memories"
    write(
        root / "pets" / "cats.md",
        "# Miso\nOur grey tabby cat sleeps on the sofa and wakes at six for dinner.\n\n"
        "## Vet\nThe vet said she should lose weight: smaller portions of wet food.\n",
    )
    write(
        root / "pets" / "kitten.md",
        "# Kitten\nThe new kitten chases the grey cat around the sofa all evening.\n",
    )
    write(root / "kitchen" / "bread.md", "# Bread\nFeed the sourdough starter, bake at 250.\n")
    write(root / "private" / "diary.md", "# Diary\nI worry about the cat's weight and the vet.\n")
    make_pdf(root / "papers" / "solar.pdf", ["Solar panels on the roof", "Inverter warranty"])
    make_image(root / "photos" / "beach-sunset.jpg", (120, 80), taken="2026:07:01 20:00:00")
    outside = tmp_path / "outside"
    write(outside / "secret.md", "# Secret\nThe cat's bank password is in this note.\n")
    (root / "pets" / "link.md").symlink_to(outside / "secret.md")
    return root


def params() -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if k.startswith(("LOCI_", "XDG_", "OPENBLAS"))}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "core.cli", "mcp"],
        env=env,
        cwd=str(Path(__file__).parents[2]),
    )


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


def test_an_agent_lists_and_calls_every_tool(folder: Path, tmp_path: Path) -> None:
    settings = Settings(folders=[str(folder)], local_only=[str(folder / "private")])
    settings.save()
    loci("index")

    async def session() -> dict[str, Any]:
        out: dict[str, Any] = {}
        started = time.monotonic()
        async with stdio_client(params()) as (read, write_):
            async with ClientSession(read, write_) as s:
                await s.initialize()
                out["handshake"] = time.monotonic() - started
                # the engine is opening behind the handshake: no writer lock is taken
                out["index_meanwhile"] = loci("index", check=False).returncode
                listed = await s.list_tools()
                out["tools"] = {t.name: t for t in listed.tools}
                out["search"] = structured(
                    await s.call_tool("search", {"query": "a feline pet", "limit": 5})
                )
                out["search_pdf"] = structured(
                    await s.call_tool("search", {"query": "solar roof", "kind": "pdf"})
                )
                first = out["search"]["hits"][0]
                out["fetch_hit"] = await s.call_tool("fetch", {"uri_or_path": first["uri"]})
                out["fetch_pdf"] = await s.call_tool(
                    "fetch", {"uri_or_path": str(folder / "papers" / "solar.pdf")}
                )
                out["fetch_image"] = await s.call_tool(
                    "fetch", {"uri_or_path": str(folder / "photos" / "beach-sunset.jpg")}
                )
                out["related"] = structured(
                    await s.call_tool("related", {"uri_or_path": first["uri"], "limit": 5})
                )
                out["status"] = structured(await s.call_tool("status", {}))
                out["outside"] = await s.call_tool(
                    "fetch", {"uri_or_path": str(tmp_path / "outside" / "secret.md")}
                )
                out["dotdot"] = await s.call_tool(
                    "fetch", {"uri_or_path": str(folder / ".." / "outside" / "secret.md")}
                )
                out["link"] = await s.call_tool(
                    "fetch", {"uri_or_path": str(folder / "pets" / "link.md")}
                )
                out["etc"] = await s.call_tool("related", {"uri_or_path": "/etc/passwd"})
                out["bad_kind"] = await s.call_tool("search", {"query": "cat", "kind": "spam"})
        return out

    out = anyio.run(session)
    assert out["handshake"] < 30, out["handshake"]  # clients give up after ~30 s
    assert out["index_meanwhile"] == 0
    assert set(out["tools"]) == {"search", "fetch", "related", "status"}
    for tool in out["tools"].values():
        assert tool.annotations.read_only_hint is True
        assert len(tool.description) < 200  # agents pay for every token of the list

    hits = out["search"]["hits"]
    paths = [h["path"] for h in hits]
    assert paths[0].endswith(("cats.md", "kitten.md"))
    for h in hits:
        assert set(h) >= {"uri", "path", "kind", "score", "title", "snippet", "locator"}
        assert h["uri"].startswith("loci://")
        assert "secret" not in h["snippet"] and not h["path"].endswith("link.md")
    private = [h for h in hits if "/private/" in h["path"]]
    assert private and all(h["local_only"] is True for h in private)
    assert all("local_only" not in h for h in hits if "/private/" not in h["path"])
    pdf = out["search_pdf"]["hits"][0]
    assert pdf["kind"] == "pdf" and pdf["locator"]["pages"][0] == 1

    text = out["fetch_hit"].content[0].text
    assert "tabby" in text or "kitten" in text
    pdf_blocks = out["fetch_pdf"].content
    assert "Solar panels" in pdf_blocks[0].text and "pp. 1–2" in pdf_blocks[0].text
    assert pdf_blocks[1].type == "image" and base64.b64decode(pdf_blocks[1].data)
    image_blocks = out["fetch_image"].content
    assert image_blocks[1].type == "image" and image_blocks[1].mime_type.startswith("image/")

    related = [h["path"] for h in out["related"]["hits"]]
    assert related and first_not_in(related, out["search"]["hits"][0]["path"])

    st = out["status"]
    assert st["folders"] == [str(folder)] and st["files"] >= 6 and st["provider"] == "local"
    assert st["local_only"] == [str(folder / "private")] and st["engine"] == "in-process"

    for key in ("outside", "dotdot", "link", "etc"):
        result = out[key]
        assert result.is_error, key
        assert "outside Loci's folders" in result.content[0].text, result.content[0].text
        assert "password" not in result.content[0].text
    assert out["bad_kind"].is_error


def first_not_in(paths: list[str], source: str) -> bool:
    return source not in paths


def test_with_the_resident_engine_running_the_agent_is_served_by_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import tempfile

    from tests.e2e.test_serve import Serve

    runtime = Path(tempfile.mkdtemp(prefix="lr", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    loci("index", str(folder))
    server = Serve()
    try:
        server.wait_for("up to date")

        async def session() -> tuple[dict[str, Any], dict[str, Any]]:
            async with stdio_client(params()) as (read, write_):
                async with ClientSession(read, write_) as s:
                    await s.initialize()
                    status = structured(await s.call_tool("status", {}))
                    found = structured(await s.call_tool("search", {"query": "a feline pet"}))
            return status, found

        status, found = anyio.run(session)
        assert status["engine"] == "resident" and status["indexing"] is False
        assert found["hits"][0]["path"].endswith(("cats.md", "kitten.md"))
    finally:
        assert server.stop() == 0
        shutil.rmtree(runtime, ignore_errors=True)


def test_remember_is_off_unless_a_folder_is_chosen_and_only_adds_new_notes(
    folder: Path, tmp_path: Path
) -> None:
    inbox = folder / "inbox"
    inbox.mkdir()
    Settings(folders=[str(folder)], remember_folder=str(inbox)).save()

    async def session() -> tuple[set[str], list[Any]]:
        async with stdio_client(params()) as (read, write_):
            async with ClientSession(read, write_) as s:
                await s.initialize()
                names = {t.name for t in (await s.list_tools()).tools}
                results = [
                    await s.call_tool(
                        "remember", {"text": "Miso's vet is Dr Alves, Tuesdays.", "title": "Vet"}
                    ),
                    await s.call_tool("remember", {"text": "Miso's vet moved to Thursdays."}),
                    await s.call_tool("remember", {"text": "   "}),
                ]
        return names, results

    names, results = anyio.run(session)
    assert "remember" in names
    first, second = structured(results[0]), structured(results[1])
    assert first["path"] != second["path"]
    assert Path(first["path"]).parent == inbox and first["path"].endswith("-vet.md")
    assert Path(first["path"]).read_text() == "# Vet\n\nMiso's vet is Dr Alves, Tuesdays.\n"
    assert Path(second["path"]).read_text().startswith("# Miso's vet moved to Thursdays.")
    assert results[2].is_error
    assert sorted(p.name for p in inbox.iterdir()) == sorted(
        Path(r["path"]).name for r in (first, second)
    )
