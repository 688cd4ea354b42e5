"""Bulk ingests (folders, many files, many documents) against real stores in
tmp_path: the same commits as one ingest per file, all or nothing, progress
only on a terminal, a store that maintains itself.  No timing assertions:
speed is measured by benchmarks/ingest.py."""

from __future__ import annotations

import json
import os
import time
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.store import maintenance as store_maintenance, stats as store_stats
from provenance.diff import word_change_counts
from provenance.errors import ProvenanceError
from provenance.extract import decode
from provenance.ingest import documents_in_folders, folder_files, ingest_folders, read_input
from provenance.store import Incoming, Store
from provenance.store.objects import Objects
from provenance.store.writer import Writer

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "corpus" / "fiction_austen_persuasion.txt"
CAPTURED = "2024-03-04T05:06:07+01:00"
USER = "Bulk Tester <bulk@example.org>"


# -- helpers


def git_env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_DIR"] = str(store)
    return env


def git(store: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], capture_output=True, env=git_env(store))
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr.decode()}")
    return proc.stdout.decode("utf-8")


def paragraphs(n: int, start: int = 300) -> list[str]:
    text = CORPUS.read_text(encoding="utf-8")
    paras = [p for p in text.split("\n\n") if len(p.split()) > 20]
    return paras[start:start + n]


def edited_versions(count: int, size: int = 3000) -> list[str]:
    """`count` successive texts of about `size` characters, one word changed each time."""
    paras = paragraphs(40)
    text, i = "", 0
    while len(text) < size:
        text += paras[i] + "\n\n"
        i += 1
    words = text.split(" ")
    out = []
    for k in range(count):
        words[(k * 7919) % len(words)] = f"edit{k}"
        out.append(" ".join(words))
    return out


def history(store: Path) -> list[dict]:
    """Every commit oldest first: subject, identities, author date, trailers, and
    the files it added (path with the uid masked -> bytes; meta.json and seen
    files without the ingest time)."""
    out = []
    for sha in git(store, "rev-list", "--reverse", "main").split():
        fmt = "%s%x00%an <%ae>%x00%cn <%ce>%x00%aI%x00%(trailers:only,unfold)"
        subject, author, committer, author_date, trailers = git(store, "show", "-s", f"--format={fmt}", sha).split("\0")
        pairs = [line.split(": ", 1) for line in trailers.splitlines() if line]
        pairs = [(k, mask(v)) for k, v in pairs if k != "Ingested-At"]
        added = {}
        for path in git(store, "diff-tree", "--root", "-r", "--no-commit-id", "--name-only", "--diff-filter=A", sha).split():
            data = subprocess.run(["git", "cat-file", "blob", f"{sha}:{path}"], capture_output=True,
                                  env=git_env(store), check=True).stdout
            if path.endswith(".json"):  # meta.json and seen/ files
                meta = json.loads(data)
                del meta["ingested_at"]
                data = json.dumps(meta, sort_keys=True).encode()
            added[mask(path)] = data
        out.append({"subject": subject, "author": author, "committer": committer,
                    "author_date": author_date, "trailers": pairs, "added": added})
    return out


def mask(value: str) -> str:
    """Hide what depends on the ingest time: version folder uids, seen-file names."""
    value = re.sub(r"/(\d{6})-[0-9a-f]{12}", r"/\1-UID", value)
    return re.sub(r"/seen/\d{8}T\d{6}Z-[0-9a-f]{12}\.json", "/seen/SEEN.json", value)


def write_versions(folder: Path) -> list[Path]:
    """A folder of versions exercising every case: new, edited, seen again,
    repeat of an older version, HTML, another encoding."""
    folder.mkdir(parents=True)
    texts = edited_versions(3)
    files = {
        "01.txt": texts[0].encode(),
        "02.txt": texts[1].encode(),
        "03.txt": texts[1].encode(),  # seen again
        "04.txt": texts[0].encode(),  # same as v1: a new version that repeats it
        "05.html": b"<!doctype html><p>" + texts[2].encode() + b"</p>",
        "06.txt": texts[2].replace("the", "th\u00e9").encode("cp1252", "replace"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in sorted(files)]


# -- folders and many files: the same commits as one ingest per file


def test_folder_ingest_makes_the_same_commits_as_one_ingest_per_file(run, tmp_path):
    files = write_versions(tmp_path / "captures")
    (tmp_path / "captures" / ".DS_Store").write_bytes(b"\0\0junk")  # hidden: skipped
    (tmp_path / "captures" / "sub").mkdir()  # subfolders: skipped
    (tmp_path / "captures" / "sub" / "x.txt").write_text("not a version")
    bulk, single = tmp_path / "bulk", tmp_path / "single"
    out = run(bulk, "ingest", str(tmp_path / "captures"), "--doc", "acme/terms", "--captured-at", CAPTURED, "--json")
    statuses = [r["status"] for r in json.loads(out.output)]
    assert statuses == ["new", "new", "seen-again", "repeat", "new", "new"]
    for f in files:
        run(single, "ingest", str(f), "--doc", "acme/terms", "--captured-at", CAPTURED)
    a, b = history(bulk), history(single)
    assert len(a) == len(b) == 6
    assert a == b
    # Word statistics are there, as for single ingests.
    assert dict(a[1]["trailers"])["Words-Added"] == "1"
    # And the bulk store is as sound as the other.
    with Store(bulk) as s:
        assert s.verify().ok
        assert [v.number for v in s.versions("acme/terms")] == [1, 2, 3, 4, 5]


def test_many_files_in_one_command_equal_the_folder(run, tmp_path):
    files = write_versions(tmp_path / "captures")
    run(tmp_path / "a", "ingest", str(tmp_path / "captures"), "--doc", "d", "--captured-at", CAPTURED)
    run(tmp_path / "b", "ingest", *map(str, files), "--doc", "d", "--captured-at", CAPTURED)
    assert history(tmp_path / "a") == history(tmp_path / "b")


def test_folder_files_are_sorted_regular_and_visible(tmp_path):
    for name in ["b.txt", "a.txt", "10.txt", "9.txt", ".hidden"]:
        (tmp_path / name).write_text(name)
    (tmp_path / "dir").mkdir()
    os.symlink(tmp_path / "a.txt", tmp_path / "link.txt")
    assert [Path(f).name for f in folder_files(str(tmp_path))] == ["10.txt", "9.txt", "a.txt", "b.txt", "link.txt"]


def test_an_empty_folder_is_an_error(run, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_text("x")
    result = run(tmp_path / "s", "ingest", str(tmp_path / "empty"), "--doc", "d", expect=2)
    assert "no files to ingest" in result.stderr and result.stderr.count("\n") == 1


# -- many documents


def test_doc_from_path_names_documents_after_paths(run, tmp_path):
    c1, c2 = tmp_path / "crawl-01", tmp_path / "crawl-02"
    for folder in (c1, c2):
        (folder / "acme.com" / "legal").mkdir(parents=True)
        (folder / ".git").mkdir()
        (folder / ".git" / "HEAD").write_text("ref: x")
    (c1 / "acme.com" / "legal" / "terms.html").write_text("<p>You agree to everything.</p>")
    (c1 / "acme.com" / "privacy.txt").write_text("We keep your data safe.")
    (c1 / "index.txt").write_text("Front page.")
    (c2 / "acme.com" / "legal" / "terms.html").write_text("<p>You agree to everything and more.</p>")
    (c2 / "acme.com" / "privacy.txt").write_text("We keep your data safe.")  # unchanged: seen again
    (c2 / "acme.com" / "about.txt").write_text("About us.")  # new in the second crawl
    pairs = documents_in_folders([str(c1), str(c2)])
    assert [doc for doc, _ in pairs] == ["acme.com/legal/terms", "acme.com/privacy", "index",
                                         "acme.com/about", "acme.com/legal/terms", "acme.com/privacy"]
    out = run(tmp_path / "s", "ingest", "--doc-from-path", str(c1), str(c2), "--json")
    got = [(r["document"], r["version"], r["status"]) for r in json.loads(out.output)]
    assert got == [("acme.com/legal/terms", 1, "new"), ("acme.com/privacy", 1, "new"), ("index", 1, "new"),
                   ("acme.com/about", 1, "new"), ("acme.com/legal/terms", 2, "new"),
                   ("acme.com/privacy", 1, "seen-again")]
    assert len(git(tmp_path / "s", "rev-list", "main").split()) == 6
    with Store(tmp_path / "s") as s:
        assert [d.document for d in s.documents()] == ["acme.com/about", "acme.com/legal/terms", "acme.com/privacy", "index"]
        (v1, v2) = s.versions("acme.com/legal/terms")
        assert v2.source == f"file:{c2 / 'acme.com' / 'legal' / 'terms.html'}"
        assert (v2.words_added, v2.words_removed) == (2, 0)
        assert s.verify().ok


def _documents_by_relpath(folder: str) -> list[tuple[str, str]]:
    """documents_in_folders of one folder as provenance 0.1 worked it out (relpath per file)."""
    found = {}
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = os.path.join(top, name)
            if not name.startswith(".") and os.path.isfile(path):
                parts = os.path.relpath(path, folder).split(os.sep)
                parts[-1] = os.path.splitext(parts[-1])[0] or parts[-1]
                found["/".join(parts)] = path
    return sorted(found.items(), key=lambda pair: os.path.relpath(pair[1], folder).split(os.sep))


def test_doc_from_path_ids_and_order_whatever_the_folder_is_called(tmp_path, monkeypatch):
    crawl = tmp_path / "crawl"
    for rel in ("b.txt", "a/z.html", "a-b/c.txt", "a/b/c.d/e.tar.gz", "a/b/README", "ä/ö.txt", "a/.hidden.txt",
                ".git/HEAD", "a/b/.x/y.txt", "a0/1.txt", "A/2.txt"):
        (crawl / rel).parent.mkdir(parents=True, exist_ok=True)
        (crawl / rel).write_text(rel)
    monkeypatch.chdir(tmp_path)
    for spelling in (str(crawl), f"{crawl}/", "crawl", "crawl/", "./crawl", f"{tmp_path}/../{tmp_path.name}/crawl"):
        got = documents_in_folders([spelling])
        assert got == _documents_by_relpath(spelling), spelling
        assert [doc for doc, _ in got] == ["A/2", "a/b/README", "a/b/c.d/e.tar", "a/z", "a-b/c", "a0/1", "b", "ä/ö"]


def test_read_input_errors(tmp_path):
    with pytest.raises(ProvenanceError, match=r"is a directory, not a file$"):
        read_input(str(tmp_path))
    with pytest.raises(ProvenanceError, match=r"no such file$"):
        read_input(str(tmp_path / "missing.txt"))
    (tmp_path / "f.txt").write_bytes(b"x" * 100_000)
    assert read_input(str(tmp_path / "f.txt")) == b"x" * 100_000


def test_doc_from_path_is_also_the_python_api(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_USER", USER)
    (tmp_path / "c" / "x").mkdir(parents=True)
    (tmp_path / "c" / "x" / "a.txt").write_text("alpha")
    (tmp_path / "c" / "b.txt").write_text("beta")
    with Store.init(tmp_path / "s") as s:
        results = ingest_folders(s, [str(tmp_path / "c")], note="crawl 1")
        assert [(r.version.document, r.status) for r in results] == [("b", "new"), ("x/a", "new")]
        assert s.resolve("x/a").note == "crawl 1"


def test_a_second_crawl_of_many_documents(tmp_path, monkeypatch):
    """New versions of many documents at once (the store reads their latest
    versions in batches): the same results as without the batched reads."""
    monkeypatch.setenv("PROVENANCE_USER", USER)
    texts = edited_versions(2, 1200)
    for crawl, text in (("c1", texts[0]), ("c2", texts[1])):
        for k in range(30):
            (tmp_path / crawl / f"site{k % 3}").mkdir(parents=True, exist_ok=True)
            (tmp_path / crawl / f"site{k % 3}" / f"page{k}.txt").write_text(text if k % 5 else texts[0])
    got = []
    for batched in (True, False):
        if not batched:
            monkeypatch.setattr(Objects, "prefetch", lambda self, *args, **kw: None)
        with Store.init(tmp_path / f"s{batched}") as s:
            ingest_folders(s, [str(tmp_path / "c1")])
            got.append([(r.version.document, r.version.number, r.status, r.version.words_added, r.version.words_removed)
                        for r in ingest_folders(s, [str(tmp_path / "c2")])])
    assert got[0] == got[1]
    assert {r[2] for r in got[0]} == {"new", "seen-again"}
    assert all(r[1] == 2 and (r[3], r[4]) == (1, 1) for r in got[0] if r[2] == "new")


@pytest.mark.parametrize("setup, fragment", [
    (lambda d: [(d / "terms.html").write_text("a"), (d / "terms.txt").write_text("b")], "would both be document 'terms'"),
    (lambda d: [(d / "a@b.txt").write_text("a")], "cannot name a document after this path"),
])
def test_doc_from_path_rejects_ambiguous_or_bad_names(run, tmp_path, setup, fragment):
    folder = tmp_path / "c"
    folder.mkdir()
    setup(folder)
    result = run(tmp_path / "s", "ingest", "--doc-from-path", str(folder), expect=2)
    assert fragment in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "s").exists()  # checked before the store is even opened


@pytest.mark.parametrize("args, fragment", [
    (["--doc", "d", "--doc-from-path"], "not both"),
    ([], "missing --doc ID"),
])
def test_doc_and_doc_from_path_go_one_at_a_time(run, tmp_path, args, fragment):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("a")
    result = run(tmp_path / "s", "ingest", str(tmp_path / "c"), *args, expect=2)
    assert fragment in result.stderr and result.stderr.count("\n") == 1


def test_doc_from_path_takes_folders_only(run, tmp_path):
    (tmp_path / "a.txt").write_text("a")
    result = run(tmp_path / "s", "ingest", "--doc-from-path", str(tmp_path / "a.txt"), expect=2)
    assert "not a folder" in result.stderr


# -- all or nothing


def test_a_bad_file_in_the_middle_leaves_the_store_untouched(run, tmp_path):
    store = tmp_path / "s"
    run(store, "ingest", "-", "--doc", "d")  # empty stdin: v1, so main exists
    folder = tmp_path / "captures"
    folder.mkdir()
    for k, text in enumerate(edited_versions(40, 1500)):
        (folder / f"{k:03d}.txt").write_text(text)
    (folder / "020.txt").write_bytes(b"%PDF-1.7\n\x00\x01binary")
    before = (git(store, "rev-parse", "main"), git(store, "count-objects", "-v"), sorted(os.listdir(store)))
    result = run(store, "ingest", str(folder), "--doc", "d", expect=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("provenance: error: ") and "020.txt" in lines[0]
    assert result.stdout == ""
    after = (git(store, "rev-parse", "main"), git(store, "count-objects", "-v"), sorted(os.listdir(store)))
    assert after == before
    assert git(store, "for-each-ref", "refs/provenance/") == ""


def test_a_failure_while_writing_leaves_main_alone_and_no_crash_report(tmp_path):
    texts = edited_versions(30, 1500)
    calls = []

    def failing_stats(old, new):
        calls.append(1)
        if len(calls) == 20:
            raise RuntimeError("stats broke")
        return word_change_counts(old, new)

    with Store.init(tmp_path / "s") as s:
        s.add([Incoming("d", b"first", decode(b"first"), ingested_by=USER)])
        tip = git(s.path, "rev-parse", "main")
        items = [Incoming("d", t.encode(), decode(t.encode()), ingested_by=USER) for t in texts]
        with pytest.raises(RuntimeError, match="stats broke"):
            s.add(items, change_stats=failing_stats)
        assert git(s.path, "rev-parse", "main") == tip
        assert git(s.path, "for-each-ref", "refs/provenance/") == ""
        assert not list(s.path.glob("fast_import_crash_*"))
        assert not list((s.path / "objects" / "pack").glob("tmp_*"))  # fast-import ended its pack, not killed
        assert s.verify().ok
        # The store still works, and the same batch goes in.
        results = s.add(items, change_stats=word_change_counts)
        assert [r.version.number for r in results] == list(range(2, 32))


# -- change statistics in worker processes


def test_parallel_change_stats_equal_sequential_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(store_stats, "PARALLEL_MIN_CHARS", 1)
    texts = edited_versions(40, 2000)
    texts[10] = texts[8]  # a repeat inside the batch
    items = [Incoming(doc, t.encode(), decode(t.encode()), ingested_by=USER) for t in texts for doc in ("a", "b")]
    pids = tmp_path / "pids"
    pids.mkdir()

    def stats(old, new):
        (pids / str(os.getpid())).touch()
        return word_change_counts(old, new)

    got = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("PROVENANCE_JOBS", jobs)
        with Store.init(tmp_path / f"s{jobs}") as s:
            s.add([Incoming("a", b"start", decode(b"start"), ingested_by=USER)])
            got[jobs] = [(r.version.document, r.version.number, r.status, r.version.words_added, r.version.words_removed)
                         for r in s.add(items, change_stats=stats)]
    assert got["1"] == got["2"]
    assert {int(p.name) for p in pids.iterdir()} - {os.getpid()}  # jobs=2 computed them in workers
    assert got["2"][0] == ("a", 2, "new", *word_change_counts("start", texts[0]))
    assert ("b", 11, "repeat") == got["2"][21][:3]


def test_change_stats_workers_of_two_batches_and_a_retry(monkeypatch):
    # Workers inherit the pairs of the batch that forked them; a later batch
    # (a retry on a new tip) sends its pairs; two at once keep theirs apart.
    monkeypatch.setattr(store_stats, "PARALLEL_MIN_CHARS", 1)
    monkeypatch.setenv("PROVENANCE_JOBS", "2")
    texts = edited_versions(12, 300)
    first = list(zip(texts, texts[1:]))
    later = list(zip(texts[2:], texts))

    def swapped(old, new):
        added, removed = word_change_counts(old, new)
        return removed + 1000, added

    a, b = store_stats._ChangeStats(word_change_counts), store_stats._ChangeStats(swapped)
    try:
        a.start(first)
        b.start(later)
        assert a.pool is not None and b.pool is not None
        assert [a(*pair) for pair in first] == [word_change_counts(*pair) for pair in first]
        a.start(later)  # a's workers were forked before `later`
        assert [a(*pair) for pair in later] == [word_change_counts(*pair) for pair in later]
        assert [b(*pair) for pair in later] == [swapped(*pair) for pair in later]
    finally:
        a.close()
        b.close()
    assert id(a) not in store_stats._STATS_JOBS and id(b) not in store_stats._STATS_JOBS


def test_bad_provenance_jobs_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(store_stats, "PARALLEL_MIN_CHARS", 1)
    monkeypatch.setenv("PROVENANCE_JOBS", "many")
    texts = edited_versions(5, 500)
    with Store.init(tmp_path / "s") as s:
        with pytest.raises(ProvenanceError, match="PROVENANCE_JOBS"):
            s.add([Incoming("d", t.encode(), decode(t.encode()), ingested_by=USER) for t in texts],
                  change_stats=word_change_counts)
        assert s.documents() == []


# -- progress


def test_no_progress_bar_when_stderr_is_not_a_terminal(run, tmp_path):
    write_versions(tmp_path / "captures")
    result = run(tmp_path / "s", "ingest", str(tmp_path / "captures"), "--doc", "d")
    assert result.stderr == ""
    assert len(result.output.splitlines()) == 6


def test_progress_bars_on_a_terminal(tmp_path):
    write_versions(tmp_path / "captures")
    leader, follower = pty.openpty()
    env = dict(os.environ, PROVENANCE_USER=USER, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "provenance.cli", "--store", str(tmp_path / "s"), "ingest",
                             str(tmp_path / "captures"), "--doc", "d"], stdout=subprocess.PIPE, stderr=follower, env=env)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    out = proc.communicate()[0]
    os.close(leader)
    assert proc.returncode == 0
    assert b"reading" in shown and b"storing" in shown and b"100%" in shown
    assert b"%" not in out and len(out.decode().splitlines()) == 6  # standard output: only the results


# -- storage and maintenance


def test_successive_versions_are_stored_as_deltas(tmp_path):
    texts = edited_versions(200, 20000)
    raw = sum(len(t.encode()) for t in texts)
    with Store.init(tmp_path / "s") as s:
        s.add([Incoming("d", t.encode(), decode(t.encode()), ingested_by=USER) for t in texts])
    packed = sum(f.stat().st_size for f in (tmp_path / "s" / "objects").rglob("*") if f.is_file())
    assert packed < raw / 10, (packed, raw)  # 200 copies would be ~4 MB


def commit_graph_chunks(store: Path) -> set[str]:
    chunks = set()
    for graph in (store / "objects" / "info" / "commit-graphs").glob("*.graph"):
        data = graph.read_bytes()
        chunks.update(data[8 + 12 * i:12 + 12 * i].decode() for i in range(data[6]))
    return chunks


def test_the_store_maintains_itself(tmp_path):
    with Store.init(tmp_path / "s") as s:
        s.add([Incoming("d", b"v1", decode(b"v1"), ingested_by=USER)])
        # The first add writes a commit-graph with changed-path Bloom filters.
        assert (s.path / "objects" / "info" / "commit-graphs" / "commit-graph-chain").exists()
        assert {"BIDX", "BDAT"} <= commit_graph_chunks(s.path)
        # Small adds leave loose objects; past LOOSE_LIMIT they are packed.
        for k in range(60):
            s.add([Incoming(f"doc{k % 7}", b"small %d" % k, decode(b"small %d" % k), ingested_by=USER)])
        loose = int(re.search(r"^count: (\d+)", git(s.path, "count-objects", "-v"), re.M).group(1))
        assert loose < store_maintenance.LOOSE_LIMIT
        # Bulk adds leave a pack each; past PACK_LIMIT the small ones are rolled up (geometric repack).
        for k in range(2 * store_maintenance.PACK_LIMIT):
            s.add([Incoming(f"bulk{k}-{j}", b"bulk %d %d" % (k, j), decode(b"bulk %d %d" % (k, j)), ingested_by=USER)
                   for j in range(40)])
        packs = list((s.path / "objects" / "pack").glob("*.pack"))
        assert 1 <= len(packs) < store_maintenance.PACK_LIMIT
        assert (s.path / "objects" / "pack" / "multi-pack-index").exists()
        assert not (s.path / "objects" / "provenance-maintenance.lock").exists()
        # The commit-graph grew with them (git maintenance keeps the Bloom filters).
        layers = (s.path / "objects" / "info" / "commit-graphs" / "commit-graph-chain").read_text().split()
        assert layers and {"BIDX", "BDAT"} <= commit_graph_chunks(s.path)
        assert len(git(s.path, "rev-list", "main").split()) == 1 + 60 + 2 * store_maintenance.PACK_LIMIT * 40
        git(s.path, "commit-graph", "verify")
        git(s.path, "fsck", "--no-progress")
        assert s.verify().ok
        assert len(s.versions("doc3")) == len(range(3, 60, 7))


def test_one_maintainer_at_a_time_and_a_stale_maintenance_lock_is_taken_over(tmp_path):
    with Store.init(tmp_path / "s") as s:
        lock = s.path / "objects" / "provenance-maintenance.lock"
        graph = s.path / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
        lock.write_text("")
        s.add([Incoming("d", b"one", decode(b"one"), ingested_by=USER)])
        assert lock.exists() and not graph.exists()  # another process is maintaining: skipped
        old = lock.stat().st_mtime - store_maintenance.MAINTENANCE_LOCK_STALE - 1
        os.utime(lock, (old, old))
        s.add([Incoming("d", b"two", decode(b"two"), ingested_by=USER)])
        assert graph.exists() and not lock.exists()  # a crashed maintainer's lock: taken over, then removed


def test_a_maintenance_lock_whose_owner_is_gone_is_taken_over_at_once_and_leftovers_cleaned(tmp_path):
    import json as _json
    import subprocess as _subprocess

    with Store.init(tmp_path / "s") as s:
        s.add([Incoming("d", b"one", decode(b"one"), ingested_by=USER)])
        lock = s.path / "objects" / "provenance-maintenance.lock"
        dead = _subprocess.Popen(["true"])
        dead.wait()  # a pid that was a process and is gone
        from provenance import locks

        owner = {**locks.me(), "pid": dead.pid, "start": "1"}
        lock.write_text(_json.dumps(owner))
        leftover_ref = s.path / "refs" / "provenance" / "incoming" / ("ab" * 16)
        leftover_ref.parent.mkdir(parents=True, exist_ok=True)
        leftover_ref.write_text(git(s.path, "rev-parse", "main"))
        tmp_pack = s.path / "objects" / "pack" / "tmp_pack_XYZ"
        tmp_pack.write_bytes(b"partial")
        old = time.time() - store_maintenance.LEFTOVER_SECONDS - 5
        for f in (leftover_ref, tmp_pack):
            os.utime(f, (old, old))
        s.add([Incoming("d", b"two", decode(b"two"), ingested_by=USER)])
        assert not lock.exists() and not leftover_ref.exists() and not tmp_pack.exists()
        log = (s.path / "provenance-repairs.log").read_text()
        assert "took over provenance-maintenance.lock" in log and "tmp_pack_XYZ" in log and "incoming" in log
        assert s.verify().ok


def test_maintenance_is_finished_and_unlocked_even_if_the_add_fails_after_moving_main(tmp_path, monkeypatch):
    # Maintenance starts as soon as main has moved and runs while the add
    # finishes its work; whatever happens then, add() returns (or raises)
    # only after it, with the lock gone.
    def broken(self, *args):
        raise RuntimeError("after main moved")

    with Store.init(tmp_path / "s") as s:
        monkeypatch.setattr(Writer, "_results", broken)
        with pytest.raises(RuntimeError, match="after main moved"):
            s.add([Incoming("d", b"one", decode(b"one"), ingested_by=USER)])
        assert (s.path / "objects" / "info" / "commit-graphs" / "commit-graph-chain").exists()
        assert not (s.path / "objects" / "provenance-maintenance.lock").exists()
        monkeypatch.undo()
        (r,) = s.add([Incoming("d", b"two", decode(b"two"), ingested_by=USER)])
        assert r.version.number == 2 and s.verify().ok


# -- concurrency

BULK_WRITER = r"""
import json, sys
from provenance.diff import word_change_counts
from provenance.extract import decode
from provenance.store import Incoming, Store
path, k = sys.argv[1], int(sys.argv[2])
out = []
with Store(path) as store:
    for batch in range(5):
        items = []
        for i in range(12):
            doc = ("shared-a", "shared-b", f"own-{k}")[i % 3]
            raw = f"process {k} batch {batch} item {i} for {doc}".encode()
            items.append(Incoming(doc, raw, decode(raw), ingested_by=f"Writer {k} <w{k}@example.org>"))
        for r in store.add(items, change_stats=word_change_counts):
            out.append({"doc": r.version.document, "version": r.version.number, "commit": r.version.commit,
                        "status": r.status, "raw": store.raw(r.version).decode()})
print(json.dumps(out))
"""


def test_four_concurrent_bulk_ingests_lose_nothing(tmp_path):
    with Store.init(tmp_path / "s") as s:
        pass
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-c", BULK_WRITER, str(tmp_path / "s"), str(k)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for k in range(4)]
    reported = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        reported += json.loads(out)
    assert len(reported) == 4 * 5 * 12 and all(r["status"] == "new" for r in reported)
    history_ = set(git(tmp_path / "s", "rev-list", "main").split())
    assert len(history_) == 240
    assert all(r["commit"] in history_ for r in reported)
    by_key = {(r["doc"], r["version"]): r for r in reported}
    assert len(by_key) == 240  # no (doc, version) handed out twice
    with Store(tmp_path / "s") as s:
        for d in s.documents():
            versions = s.versions(d.document)
            assert [v.number for v in versions] == list(range(1, len(versions) + 1))
            for v in versions:
                assert v.commit == by_key[(d.document, v.number)]["commit"]
                assert s.raw(v).decode() == by_key[(d.document, v.number)]["raw"]
        assert sum(d.versions for d in s.documents()) == 240
        assert git(s.path, "for-each-ref", "refs/provenance/") == ""
        assert s.verify().ok
