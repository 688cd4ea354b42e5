"""The store's parts on their own: each is built from what it depends on and
read against a real store in tmp_path, without going through `Store` (which
only makes the test data here, and is closed before a part is built)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from provenance.errors import ProvenanceError
from provenance.extract import decode
from provenance.store import Incoming, Store, document_folder
from provenance.store.history import History
from provenance.store.index import Index
from provenance.store.maintenance import Maintenance
from provenance.store.objects import Objects, store_env
from provenance.store.reflocks import RefLocks
from provenance.store.verify import Verifier

PACKAGE = Path(__file__).resolve().parents[1] / "provenance" / "store"
USER = "Ada Reporter <ada@example.org>"
TEXTS = {"acme/terms": [b"one two three", b"one two four", b"one two four five"], "memo": [b"a memo"]}


def git(path: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(["git", *args], capture_output=True, env={**env, "GIT_DIR": str(path)},
                          check=True).stdout.decode()


@pytest.fixture
def path(tmp_path) -> Path:
    """A real store holding TEXTS, its Store closed."""
    with Store.init(tmp_path / "store") as store:
        for doc, texts in TEXTS.items():
            for raw in texts:
                store.add([Incoming(doc, raw, decode(raw), ingested_by=USER)])
        store.add([Incoming("memo", b"a memo", decode(b"a memo"), ingested_by=USER)])  # seen again
    return tmp_path / "store"


@pytest.fixture
def objects(path):
    objects = Objects(path, store_env(path))
    yield objects
    objects.close()


def test_objects_reads_the_tip_trees_and_blobs_as_git_does(path, objects):
    tip = objects.tip()
    assert tip == git(path, "rev-parse", "main").strip()
    folder = document_folder("acme/terms")
    bucket = objects.tree_at(tip, f"{folder}/versions/000")
    assert sorted(bucket) == sorted(git(path, "ls-tree", "--name-only", f"{tip}:{folder}/versions/000").split())
    latest = objects.latest_entry(objects.tree_at(tip, f"{folder}/versions"))
    assert latest[3] == 3
    version = f"{folder}/versions/{latest[0]}/{latest[1]}"
    assert objects.blob_at(tip, f"{version}/text.txt") == b"one two four five"
    assert objects.meta_at(tip, version) == json.loads(git(path, "show", f"{tip}:{version}/meta.json"))
    assert objects.blob_at(tip, f"{version}/nothing") is None and objects.tree_at(tip, "documents/zz") is None
    name = f"{tip}:{version}/text.txt"
    assert objects.cat_all([name, "0" * 40]) == {name: b"one two four five", "0" * 40: None}
    memo = f"{document_folder('memo')}/versions/000"
    (memo_version,) = objects.tree_at(tip, memo)
    seen = objects.seen_at(tip, f"{memo}/{memo_version}")
    assert len(seen) == 1 and seen[0][0].endswith(".json")
    assert objects.git("rev-parse", "main").stdout.decode().strip() == tip


def test_objects_keeps_one_cat_file_and_ends_it_when_closed(path):
    objects = Objects(path, store_env(path))
    tip = objects.tip()
    objects.root(tip)
    process = objects.catfile.proc
    objects.tree(objects.root(tip))
    assert objects.catfile.proc is process and process.poll() is None
    objects.close()
    assert process.poll() is not None
    with pytest.raises(ProvenanceError, match="closed"):
        objects.tip()


def test_index_finds_the_commit_that_added_each_version_and_rebuilds(path, objects):
    index = Index(objects, 100)
    tip = objects.tip()
    folder = document_folder("acme/terms")
    versions = [f"{folder}/versions/000/{name}" for name in objects.tree_at(tip, f"{folder}/versions/000")]
    expected = {v: git(path, "log", "--format=%H", "--diff-filter=A", "main", "--", f"{v}/meta.json").strip()
                for v in versions}
    assert len(set(expected.values())) == 3
    assert index.commits_for(tip, set(versions)) == expected
    index.rebuild(tip)  # from the history alone
    assert (index.dir / "tips").read_text().split() == [tip]
    assert Index(objects, 100).commits_for(tip, set(versions)) == expected


def test_history_answers_from_objects_and_index_alone(path, objects):
    history = History(objects, Index(objects, 100), 100)
    assert [(d.document, d.versions) for d in history.documents()] == [("acme/terms", 3), ("memo", 1)]
    assert history.document_ids() == sorted(TEXTS)  # the quick listing agrees with the full one
    versions = history.versions("acme/terms")
    assert [history.text(v) for v in versions] == [raw.decode() for raw in TEXTS["acme/terms"]]
    assert history.resolve("acme/terms", -1) == versions[1]
    assert history.raw(history.resolve("memo")) == b"a memo" and len(history.resolve("memo").seen) == 1
    assert versions[2].commit == git(path, "rev-parse", "main~2").strip()  # (then the memo and its observation)
    assert history.extraction_number(versions[0], 1) == 1
    with pytest.raises(ProvenanceError, match="has no extraction 2"):
        history.extraction_number(versions[0], 2)


def test_verifier_and_maintenance_on_their_own(path, objects):
    locks = RefLocks(path, 600.0)
    maintenance = Maintenance(objects, locks)
    report = Verifier(objects, Index(objects, 100), maintenance, 100).verify()
    assert report.ok and report.versions_checked == 4
    (path / "refs" / "heads" / "main.lock").write_text("")
    assert maintenance.leftovers() == [os.path.join("refs", "heads", "main.lock")]


def test_ref_locks_wait_for_a_fresh_lock_and_clear_an_orphaned_one(path):
    lock = path / "refs" / "heads" / "main.lock"
    lock.write_text("")
    with pytest.raises(ProvenanceError, match="main.lock has been held"):
        RefLocks(path, 0.0).check_stale()  # (young: not cleared; over a zero limit: an error)
    old = time.time() - 60
    os.utime(lock, (old, old))
    RefLocks(path, 600.0).check_stale()  # no writer is inside a ref update: git's killed process left it
    assert not lock.exists()
    assert "removed main.lock" in (path / "provenance-repairs.log").read_text()


def _imports(module: Path) -> set[str]:
    """The store modules `module` imports (relative imports inside the package)."""
    found = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.add(node.module or "__init__")
    return found


def test_parts_depend_one_way_and_never_on_the_facade():
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert all("__init__" not in deps for deps in graph.values())
    order: list[str] = []
    while len(order) < len(graph):  # a topological order exists only without cycles
        ready = sorted(m for m, deps in graph.items() if m not in order and deps <= set(order))
        assert ready, f"import cycle among {sorted(set(graph) - set(order))}"
        order += ready
    assert order.index("objects") < order.index("index") < order.index("history") < order.index("writer")
    assert "writer" not in set().union(*(deps for m, deps in graph.items() if m != "writer"))
