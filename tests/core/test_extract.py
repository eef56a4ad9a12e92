from pathlib import Path

import pytest

from core.extract import ExtractError, extract, kind_of
from core.extract.text import sections, split_size
from tests.helpers import make_image, make_pdf, write


def test_markdown_is_chunked_by_heading_with_heading_path_as_title(tmp_path: Path) -> None:
    note = write(
        tmp_path / "trip.md",
        "intro line\n\n# Lisbon\nTram 28.\n## Day two\nTile museum.\n```\n# not a heading\n```\n"
        "# Porto\nPort wine.\n",
    )
    pieces = extract(note)
    titles = [p.title for p in pieces]
    assert titles == ["trip", "trip · Lisbon", "trip · Lisbon › Day two", "trip · Porto"]
    assert pieces[2].locator == {"heading": "Lisbon › Day two"}
    assert "# not a heading" in pieces[2].text
    assert all(p.kind == "note" for p in pieces)


def test_long_sections_split_near_target_size() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(40))
    chunks = split_size(text, 1500)
    assert len(chunks) > 5
    assert all(len(c) <= 1500 for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_a_single_huge_line_is_hard_split() -> None:
    assert all(len(c) <= 1500 for c in split_size("x" * 10_000, 1500))


def test_sections_without_headings() -> None:
    assert sections("just text") == [([], "just text")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_text_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    note = write(tmp_path / "n.txt", "Café crème à la française, naïve façade.", encoding)
    assert "Café crème" in extract(note)[0].text


def test_binary_named_txt_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "huge.txt"
    f.write_bytes(b"\x00\x01\x02" * 100_000)
    with pytest.raises(ExtractError, match="binary"):
        extract(f)


def test_empty_file_is_findable_by_name(tmp_path: Path) -> None:
    f = tmp_path / "groceries.md"
    f.write_bytes(b"")
    (piece,) = extract(f)
    assert piece.text == "groceries"
    assert not piece.embed  # stored for its name, with no vector that could match


def test_whitespace_only_file_gets_no_vector(tmp_path: Path) -> None:
    (piece,) = extract(write(tmp_path / "shopping-list.txt", "  \n\n\t \n"))
    assert piece.text == "shopping list" and not piece.embed


def test_heading_only_section_merges_into_the_section_below(tmp_path: Path) -> None:
    note = write(
        tmp_path / "loci.md",
        "# Loci\n\n## Search\n\nSearch by meaning, offline.\n\n## Sync\n\nWatch the folders.\n",
    )
    pieces = extract(note)
    assert [p.locator.get("heading") for p in pieces] == ["Loci › Search", "Loci › Sync"]
    assert pieces[0].text.startswith("# Loci\n## Search")  # the title travels with its text
    assert all(p.text.replace("#", "").split("\n", 2)[-1].strip() for p in pieces)


def test_a_long_note_gets_a_lead_piece(tmp_path: Path) -> None:
    rows = "\n".join(f"| --opt{i} | {i} | what option {i} does |" for i in range(25))
    note = write(
        tmp_path / "backup.md",
        "# Backup script\n\nCopies my photos to the external drive every night.\n\n"
        f"| option | default | meaning |\n|---|---|---|\n{rows}\n",
    )
    lead, *chunks = extract(note)
    assert lead.text == "Backup script\n\nCopies my photos to the external drive every night."
    assert lead.locator == {} and chunks
    # The option table stays searchable by keyword but is cut short in what is embedded.
    (chunk,) = chunks
    assert "--opt24" in chunk.text
    assert chunk.embed_text.count("--opt") == 3 and "Copies my photos" in chunk.embed_text


def test_a_short_note_is_its_own_lead(tmp_path: Path) -> None:
    (piece,) = extract(write(tmp_path / "cat.md", "# Miso\n\nOur cat sleeps on the sofa.\n"))
    assert piece.locator == {"heading": "Miso"}


def test_pdf_pages_in_windows_of_six(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "report.pdf", [f"Page {i} about budgets" for i in range(1, 15)])
    pieces = extract(pdf)
    assert [p.locator["pages"] for p in pieces] == [[1, 6], [7, 12], [13, 14]]
    assert "Page 7 about budgets" in pieces[1].text
    assert pieces[0].media[0].mime == "application/pdf"


def test_truncated_pdf_is_a_clear_error(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "ok.pdf", ["hello"])
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(pdf.read_bytes()[:60])
    with pytest.raises(ExtractError, match="PDF"):
        extract(bad)


def test_image_text_has_name_folder_and_exif_date(tmp_path: Path) -> None:
    img = make_image(tmp_path / "beach" / "IMG_2041-sunset.jpg", taken="2026:03:12 15:04:00")
    (piece,) = extract(img)
    assert piece.kind == "image"
    assert "IMG 2041 sunset" in piece.text and "beach" in piece.text
    assert "12 March 2026" in piece.text
    assert piece.media[0].mime == "image/jpeg"


def test_corrupt_image_is_a_clear_error(tmp_path: Path) -> None:
    img = make_image(tmp_path / "a.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(img.read_bytes()[:40])
    with pytest.raises(ExtractError, match="image"):
        extract(bad)


def test_kinds() -> None:
    assert kind_of(Path("a.MD")) == "note"
    assert kind_of(Path("a.pdf")) == "pdf"
    assert kind_of(Path("a.jpeg")) == "image"
    assert kind_of(Path("a.xyz")) is None


def test_a_chunk_carries_the_images_it_links(tmp_path: Path) -> None:
    make_image(tmp_path / "img" / "board.png")
    make_image(tmp_path / "my pic.jpg")
    note = write(
        tmp_path / "pricing.md",
        "# Whiteboard\nThe tiers we drew: ![sketch](img/board.png) and ![[my pic.jpg|300]]\n"
        "![web](https://example.com/x.png) ![gone](missing.png)\n\n# Other\nno images\n",
    )
    first, second = extract(note)
    assert [(m.mime, m.path.name) for m in first.media] == [
        ("image/png", "board.png"),
        ("image/jpeg", "my pic.jpg"),
    ]
    assert second.media == []
