"""LanceDB imported without its REST client's API modules, and still whole when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import sys
import overrides
real_override = overrides.override

from core.lance_import import REST_CLIENT, import_lancedb

lancedb = import_lancedb()
assert import_lancedb() is lancedb
# the local-folder path never ran the REST client's package body nor imported its API modules
eager = sorted(m for m in sys.modules if m.startswith(REST_CLIENT + ".api"))
assert eager == [], eager
assert overrides.override is real_override, "the overrides checker was not put back"

import pyarrow as pa
db = lancedb.connect(sys.argv[1])
t = db.create_table("t", data=pa.table({"id": [1, 2], "text": ["red fox", "blue whale"]}))
t.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(
    pa.table({"id": [2, 3], "text": ["grey whale", "green frog"]})
)
from lancedb.index import FTS
t.create_index("text", config=FTS())
t.optimize()
hits = t.search("whale", query_type="fts").limit(5).to_list()
assert [h["id"] for h in hits] == [2], hits

# whoever does use the REST client gets the real package, loaded on first use
client = sys.modules[REST_CLIENT]
assert client.ApiClient.__name__ == "ApiClient"
assert client.TableApi.__name__ == "TableApi"
print("ok")
"""


def test_lancedb_imports_without_the_rest_client_and_still_works(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "db")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
