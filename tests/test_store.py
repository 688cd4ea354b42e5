"""The store, against real git repositories in tmp_path (no mocks)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import ProvenanceError
from provenance.extract import decode
from provenance.store import (
    DocumentSummary,
    Incoming,
    Store,
    Version,
    VerifyReport,
    document_folder,
    validate_doc_id,
)
from provenance.store.records import _dump_json
from provenance.store.writer import Writer

ROOT = Path(__file__).resolve().parents[1]
CAPTURED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
META_JSON_KEYS = {
    "document", "version", "content_sha256", "text_sha256", "bytes", "text_chars", "media_type",
    "encoding", "source", "captured_at", "ingested_at", "ingested_by", "tool", "extractor", "note",
    "meta", "repeats", "words_added", "words_removed", "snapshot",
}


# -- helpers (kept here: this file is the store's only test module)


def git_env(store_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_DIR"] = str(store_path)
    return env


def git(store_path: Path, *args: str, input: bytes | None = None, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], input=input, capture_output=True, env=git_env(store_path))
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr.decode()}")
    return proc.stdout.decode("utf-8")


def git_bytes(store_path: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], capture_output=True, env=git_env(store_path), check=True).stdout


def inc(doc: str, data: bytes, **kw) -> Incoming:
    kw.setdefault("ingested_by", "Ada Reporter <ada@example.org>")
    return Incoming(doc, data, decode(data), **kw)


def fast_import(store_path: Path, commands: list[bytes]) -> None:
    """Rewrite main behind the store's back (for tampering tests)."""
    tip = git(store_path, "rev-parse", "main").strip()
    msg = b"tamper\n"
    stream = (b"commit refs/heads/main\ncommitter Mallory <m@example.org> 1700000000 +0000\n"
              b"data %d\n%sfrom %s\n" % (len(msg), msg, tip.encode()) + b"".join(commands) + b"\ndone\n")
    subprocess.run(["git", "fast-import", "--quiet", "--done"], input=stream, env=git_env(store_path), check=True)


def child_cat_files() -> list[int]:
    """Pids of `git cat-file` processes that are children of this process."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and b"cat-file" in cmdline:
            found.append(int(entry))
    return found


@pytest.fixture
def store(tmp_path):
    with Store.init(tmp_path / "store") as s:
        yield s


# -- init and open


def test_init_makes_a_bare_repo_with_main_and_the_config(tmp_path):
    path = tmp_path / "deep" / "store"
    with Store.init(path) as s:
        assert s.path == path and isinstance(s.path, Path)
    assert git(path, "rev-parse", "--is-bare-repository").strip() == "true"
    assert git(path, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(path, "config", "core.fsync").strip() == "committed,reference"
    assert git(path, "config", "--type=bool", "core.logAllRefUpdates").strip() == "true"
    assert git(path, "config", "--type=bool", "receive.denyNonFastForwards").strip() == "true"
    assert git(path, "config", "--type=bool", "receive.denyDeletes").strip() == "true"
    config_before = (path / "config").read_text()
    with Store.init(path) as again:  # idempotent
        again.add([inc("nda", b"text")])
    with Store.init(path) as again:
        assert [d.document for d in again.documents()] == ["nda"]
    assert (path / "config").read_text() == config_before
    with Store.open(path) as s, Store(path) as s2:
        assert s.resolve("nda").number == s2.resolve("nda").number == 1
    assert not (path / "index").exists()


def test_init_accepts_the_projects_store_folder_with_its_readme(tmp_path):
    path = tmp_path / "store"
    path.mkdir()
    (path / "README.md").write_text("about the store\n")
    with Store.open(path, create=True) as s:
        s.add([inc("nda", b"x")])
    assert (path / "README.md").read_text() == "about the store\n"


@pytest.mark.parametrize("kind", ["missing", "empty", "plain-dir", "worktree-repo", "foreign-bare"])
def test_open_refuses_what_is_not_a_store(tmp_path, kind):
    path = tmp_path / "x"
    if kind != "missing":
        path.mkdir()
    if kind == "plain-dir":
        (path / "notes.txt").write_text("hello")
    if kind == "worktree-repo":
        subprocess.run(["git", "init", "-q", str(path)], check=True)
    if kind == "foreign-bare":
        subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    with pytest.raises(ProvenanceError, match=r"no provenance store at .*\(run `provenance init`\)"):
        Store(path)
    if kind in ("plain-dir", "worktree-repo", "foreign-bare"):
        with pytest.raises(ProvenanceError):
            Store.init(path)
        if kind == "plain-dir":
            assert sorted(p.name for p in path.iterdir()) == ["notes.txt"]  # nothing written


# -- adding and reading back


@pytest.mark.parametrize("raw, snapshot", [
    (b"Line one\r\nLine two\r\n", "snapshot.txt"),
    ("Caf\u00e9 na\u00efve \u2013 \u00a3100\r\n".encode("cp1252"), "snapshot.txt"),
    (b"\xef\xbb\xbfwith a BOM\n", "snapshot.txt"),
    ("\ufeffUTF-16 text \u00e9\n".encode("utf-16-le"), "snapshot.txt"),
    (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "snapshot.html"),
])
def test_add_stores_exact_bytes_text_and_hashes(store, raw, snapshot):
    (result,) = store.add([inc("nda", raw, source="mail", captured_at=CAPTURED, meta={"desk": "legal"})])
    assert result.status == "new"
    v = result.version
    extracted = decode(raw)
    text = extracted.text.lstrip("\ufeff")
    assert store.raw(v) == raw
    assert store.text(v) == text
    assert v.snapshot == snapshot
    assert v.content_sha256 == hashlib.sha256(raw).hexdigest()
    assert v.text_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert (v.bytes, v.text_chars, v.number) == (len(raw), len(text), 1)
    assert (v.encoding, v.media_type) == (extracted.encoding, extracted.media_type)
    assert (v.tool, v.extractor) == ("provenance 0.1.0", "provenance-decode 1")
    assert v.captured_at == "2024-01-02T03:04:05+02:00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", v.ingested_at)
    assert v.ingested_by == "Ada Reporter <ada@example.org>"
    # The layout, read with plain git.
    assert re.fullmatch(r"documents/[0-9a-f]{2}/nda/versions/000/000001-[0-9a-f]{12}", v.path)
    assert v.path.startswith(document_folder("nda")) and document_folder("nda")[10:12] == hashlib.sha256(b"nda").hexdigest()[:2]
    assert git_bytes(store.path, "show", f"main:{v.path}/{snapshot}") == raw
    stored_text = git_bytes(store.path, "show", f"main:{v.path}/text.txt")
    assert stored_text == text.encode("utf-8") and not stored_text.startswith(b"\xef\xbb\xbf")
    meta_bytes = git_bytes(store.path, "show", f"main:{v.path}/meta.json")
    meta = json.loads(meta_bytes)
    assert set(meta) == META_JSON_KEYS
    assert meta_bytes == (json.dumps(meta, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    assert v.path.endswith(hashlib.sha256(meta_bytes).hexdigest()[:12])
    assert meta["meta"] == {"desk": "legal"} and meta["repeats"] is None and meta["words_added"] is None
    assert sorted(git(store.path, "ls-tree", "--name-only", f"main:{v.path}").split()) == ["meta.json", snapshot, "text.txt"]
    assert v.commit == git(store.path, "rev-parse", "main").strip()
    assert store.versions("nda") == [v]
    assert v.to_dict()["version"] == 1 and json.dumps(v.to_dict())


def test_trailers_are_parsed_by_git_itself(store):
    note = "Leaked by a source.\nSecond line.\n---\nNot: a trailer"
    store.add([inc("acme/terms", b"Terms v1", source="https://x.example/terms\r\n#frag", note=note,
                   captured_at=CAPTURED, meta={"case": "42", "desk": "multi\nline"})])

    def trailer(key):
        return git(store.path, "log", "-1", f"--format=%(trailers:key={key},valueonly,separator=%x1f)", "main").rstrip("\n")

    assert trailer("Version") == "1"
    assert trailer("Document") == "acme/terms"
    assert trailer("Content-SHA256") == hashlib.sha256(b"Terms v1").hexdigest()
    assert trailer("Text-SHA256") == hashlib.sha256(b"Terms v1").hexdigest()
    assert trailer("Bytes") == "8"
    assert trailer("Media-Type") == "text/plain; charset=utf-8"
    assert trailer("Encoding") == "utf-8"
    assert trailer("Source") == "https://x.example/terms  #frag"  # CR/LF become spaces
    assert trailer("Captured-At") == "2024-01-02T03:04:05+02:00"
    assert trailer("Ingested-By") == "Ada Reporter <ada@example.org>"
    assert trailer("Tool") == "provenance 0.1.0"
    assert trailer("Extractor") == "provenance-decode 1"
    assert trailer("Meta") == "case=42\x1fdesk=multi line"
    assert trailer("Path") == store.resolve("acme/terms").path
    assert trailer("Not") == "" and trailer("Repeats") == "" and trailer("Words-Added") == ""
    raw_commit = git_bytes(store.path, "cat-file", "commit", "main")
    assert raw_commit.endswith(b"\n")
    assert git(store.path, "log", "-1", "--format=%s", "main").strip() == "Ingest acme/terms v1"
    assert note in git(store.path, "log", "-1", "--format=%b", "main")
    assert store.resolve("acme/terms").note == note


def test_author_date_is_capture_time_and_committer_date_is_ingest_time(store):
    (r,) = store.add([inc("nda", b"a", captured_at=CAPTURED)])
    author, committer, who = git(store.path, "log", "-1", "--format=%aI %cI %an <%ae>", "main").strip().split(" ", 2)
    assert author == "2024-01-02T03:04:05+02:00" == r.version.captured_at
    assert committer == r.version.ingested_at
    assert abs(datetime.fromisoformat(committer) - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert who == "Ada Reporter <ada@example.org>"
    assert git(store.path, "log", "-1", "--format=%cn <%ce>", "main").strip() == who


def test_seen_again_records_an_observation_without_a_new_version(store):
    later = CAPTURED + timedelta(days=3)
    (first,) = store.add([inc("nda", b"same bytes", captured_at=CAPTURED)])
    (again,) = store.add([inc("nda", b"same bytes", captured_at=later, source="web", note="re-check")])
    assert again.status == "seen-again"
    assert again.version.number == 1 and again.version.commit == first.version.commit
    assert again.version.seen == ("2024-01-05T03:04:05+02:00",)
    assert len(store.versions("nda")) == 1
    assert store.resolve("nda").seen == again.version.seen
    assert store.versions("nda")[0].seen == again.version.seen
    seen_files = git(store.path, "ls-tree", "--name-only", f"main:{first.version.path}/seen").split()
    assert len(seen_files) == 1 and re.fullmatch(r"20240105T010405Z-[0-9a-f]{12}\.json", seen_files[0])
    seen = json.loads(git(store.path, "show", f"main:{first.version.path}/seen/{seen_files[0]}"))
    assert set(seen) == {"captured_at", "ingested_at", "ingested_by", "source", "note", "meta"}
    assert seen["source"] == "web" and seen["note"] == "re-check"
    assert git(store.path, "log", "-1", "--format=%s", "main").strip() == "Observe nda v1 again"
    trailers = git(store.path, "log", "-1", "--format=%(trailers:only,unfold)", "main")
    assert "Observation: seen-again\n" in trailers and "Version: 1\n" in trailers
    assert f"Path: {first.version.path}/seen/{seen_files[0]}\n" in trailers
    assert f"Content-SHA256: {first.version.content_sha256}\n" in trailers
    assert git(store.path, "log", "-1", "--format=%aI", "main").strip() == "2024-01-05T03:04:05+02:00"
    # The version's own files are untouched.
    assert git(store.path, "rev-parse", f"main:{first.version.path}/meta.json") == \
        git(store.path, "rev-parse", f"{first.version.commit}:{first.version.path}/meta.json")
    assert store.verify().ok


def test_content_of_an_older_version_is_a_new_version_that_repeats_it(store):
    results = store.add([inc("nda", b"A"), inc("nda", b"B"), inc("nda", b"A")])
    assert [(r.status, r.version.number, r.version.repeats) for r in results] == [
        ("new", 1, None), ("new", 2, None), ("repeat", 3, 1)]
    (r,) = store.add([inc("nda", b"B")])  # the tip, not this batch, knows v2
    assert (r.status, r.version.number, r.version.repeats) == ("repeat", 4, 2)
    assert git(store.path, "log", "-1", "--format=%(trailers:key=Repeats,valueonly)", "main").strip() == "2"
    (r,) = store.add([inc("nda", b"A")])
    assert (r.status, r.version.repeats) == ("repeat", 3)  # the most recent earlier version with these bytes
    (r,) = store.add([inc("nda", b"A")])
    assert (r.status, r.version.number) == ("seen-again", 5)


def test_several_versions_and_documents_in_one_add(store):
    calls = []

    def stats(prev, new):
        calls.append((prev, new))
        return len(new.split()), len(prev.split())

    items = [inc("a", b"one"), inc("b", b"uno"), inc("a", b"one two"), inc("a", b"one two three"), inc("b", b"uno dos")]
    ticks = []
    results = store.add(items, change_stats=stats, progress=ticks.append)
    assert sum(ticks) == len(items)
    assert [(r.version.document, r.version.number, r.status) for r in results] == [
        ("a", 1, "new"), ("b", 1, "new"), ("a", 2, "new"), ("a", 3, "new"), ("b", 2, "new")]
    assert calls == [("one", "one two"), ("one two", "one two three"), ("uno", "uno dos")]
    assert [(r.version.words_added, r.version.words_removed) for r in results] == [
        (None, None), (None, None), (2, 1), (3, 2), (2, 1)]
    chain = git(store.path, "rev-list", "--reverse", "main").split()
    assert chain == [r.version.commit for r in results]  # one commit per version, in order
    assert [v.number for v in store.versions("a")] == [1, 2, 3]
    assert [store.text(v) for v in store.versions("b")] == ["uno", "uno dos"]
    assert [v.commit for v in store.versions("a")] == [results[0].version.commit, results[2].version.commit, results[3].version.commit]
    assert store.documents() == [DocumentSummary("a", 3, results[3].version.captured_at, 3),
                                 DocumentSummary("b", 2, results[4].version.captured_at, 2)]
    (r,) = store.add([inc("a", b"one two three four")], change_stats=stats)
    assert calls[-1] == ("one two three", "one two three four") and r.version.words_added == 4
    assert git(store.path, "for-each-ref", "refs/provenance/") == ""  # temporary refs are gone
    assert len(git(store.path, "reflog", "show", "main").splitlines()) == 2  # the bare repo keeps a reflog


def test_documents_reports_the_latest_capture_including_seen_again(store):
    assert store.documents() == []
    store.add([inc("z/doc", b"x", captured_at=CAPTURED), inc("m", b"y", captured_at=CAPTURED)])
    store.add([inc("z/doc", b"x", captured_at=CAPTURED + timedelta(hours=5))])
    docs = store.documents()
    assert [d.document for d in docs] == ["m", "z/doc"]
    assert docs[1].to_dict() == {"document": "z/doc", "versions": 1, "last_version": 1,
                                 "last_captured_at": "2024-01-02T08:04:05+02:00"}


def test_identity_defaults_and_naive_times(store, monkeypatch):
    monkeypatch.setenv("PROVENANCE_USER", "Desk Editor <desk@example.org>")
    with Store(store.path) as s:
        (r,) = s.add([Incoming("nda", b"x", decode(b"x"))])
    assert r.version.ingested_by == "Desk Editor <desk@example.org>"
    assert git(store.path, "log", "-1", "--format=%an|%ae", "main").strip() == "Desk Editor|desk@example.org"
    with pytest.raises(ProvenanceError, match="no timezone"):
        store.add([inc("nda", b"y", captured_at=datetime(2024, 1, 1))])
    with pytest.raises(ProvenanceError, match="Name <email>"):
        store.add([inc("nda", b"y", ingested_by="Eve <eve@x> <again>")])


@pytest.mark.parametrize("doc_id", [
    "nda", "acme/terms", "Annual Report 2024", "Ünïcödé/文件", "a.b/c-d_e~f", "..hidden", "%41", "x" * 200, "a/b/c/d",
    "no\u00a0break", "private\ue000use", "unassigned\u0378",  # not printable, yet allowed
])
def test_good_document_ids(store, doc_id):
    assert validate_doc_id(doc_id) == doc_id
    (r,) = store.add([inc(doc_id, b"content")])
    assert r.version.document == doc_id
    quoted = r.version.path.split("/")[2]  # one path component, reversible
    assert "/" not in quoted and unquote(quoted) == doc_id
    assert r.version.path.startswith(f"documents/{hashlib.sha256(doc_id.encode()).hexdigest()[:2]}/{quoted}/versions/000/")
    assert [d.document for d in store.documents()] == [doc_id]
    assert store.resolve(doc_id).path == r.version.path


@pytest.mark.parametrize("doc_id, reason", [
    ("", "empty"), ("x" * 201, "too long"), ("a\nb", "control"), ("a\x00b", "control"), ("a\tb", "control"),
    ("a\u202eb", "control"), ("nda@2", "@"), ("/nda", "'/'"), ("nda/", "'/'"), (" nda", "whitespace"),
    ("nda ", "whitespace"), ("a//b", "empty segment"), ("a/./b", "'.'"), ("../a", "'..'"), ("a/..", "'..'"),
    (".", "'.'"), ("a\\b", "backslash"), ("a\u2028b", "U+2028 at position 2"), ("zero\u200bwidth", "U+200B at position 5"),
    ("\ud800", "U+D800 at position 1"), ("a\u00a0\x7f", "U+007F at position 3"),
])
def test_bad_document_ids(store, doc_id, reason):
    with pytest.raises(ProvenanceError) as err:
        validate_doc_id(doc_id)
    assert reason in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ProvenanceError):
        store.add([inc(doc_id, b"content")])
    assert git(store.path, "rev-parse", "--verify", "-q", "main", check=False) == ""


def test_resolve_specs_and_errors(store):
    store.add([inc("nda", b"one"), inc("nda", b"two"), inc("nda", b"three")])
    assert store.resolve("nda").number == 3
    assert [store.resolve("nda", n).number for n in (1, 2, 3, -1, -2)] == [1, 2, 3, 2, 1]
    assert store.text(store.resolve("nda", -2)) == "one"
    for spec in (7, 0, -3):
        with pytest.raises(ProvenanceError, match=f"^nda has 3 versions; there is no version {spec}$"):
            store.resolve("nda", spec)
    with pytest.raises(ProvenanceError, match="^unknown document: other$"):
        store.resolve("other")
    with pytest.raises(ProvenanceError, match="^unknown document: other$"):
        store.versions("other")
    assert store.resolve("nda", 2) == store.versions("nda")[1]


def test_versions_spill_into_buckets_of_a_hundred(store):
    assert (store.layout, store.bucket_size) == ("2", 100)
    store.add([inc("big", b"v%d" % i) for i in range(1, 1003)])
    buckets = git(store.path, "ls-tree", "--name-only", f"main:{document_folder('big')}/versions").split()
    assert buckets == [f"{b:03d}" for b in range(11)]
    assert len(git(store.path, "ls-tree", f"main:{document_folder('big')}/versions/000").splitlines()) == 99
    assert len(git(store.path, "ls-tree", f"main:{document_folder('big')}/versions/001").splitlines()) == 100
    assert store.resolve("big").number == 1002 and "/versions/010/001002-" in store.resolve("big").path
    assert "/versions/009/000999-" in store.resolve("big", 999).path
    assert store.text(store.resolve("big", 1000)) == "v1000"
    versions = store.versions("big")
    assert [v.number for v in versions] == list(range(1, 1003))
    assert all(v.commit for v in versions)
    (r,) = store.add([inc("big", b"v5")])
    assert (r.version.number, r.version.repeats) == (1003, 5)
    assert store.verify().ok


def test_a_layout_1_store_keeps_buckets_of_a_thousand(tmp_path):
    """Stores made by provenance 0.1 (layout 1) bucket by 1,000 versions:
    they are read, added to and verified as they are."""
    path = tmp_path / "old"
    Store.init(path).close()
    git(path, "config", "provenance.layout", "1")
    with Store(path) as old:
        assert (old.layout, old.bucket_size) == ("1", 1000)
        old.add([inc("big", b"v%d" % i) for i in range(1, 1003)])
        buckets = git(path, "ls-tree", "--name-only", f"main:{document_folder('big')}/versions").split()
        assert buckets == ["000", "001"]
        assert len(git(path, "ls-tree", f"main:{document_folder('big')}/versions/000").splitlines()) == 999
        assert "/versions/000/000999-" in old.resolve("big", 999).path
        assert "/versions/001/001002-" in old.resolve("big").path
        assert [v.number for v in old.versions("big")] == list(range(1, 1003))
        assert old.verify().ok
    # a layout this version does not know is refused, not misread
    git(path, "config", "provenance.layout", "9")
    with pytest.raises(ProvenanceError, match="has layout 9, which this provenance .* does not know: upgrade provenance$"):
        Store(path)


def test_full_buckets_are_cached_locally_and_verify_checks_the_cache(store):
    store.add([inc("big", b"v%d" % i, source="s%d" % i) for i in range(1, 103)])
    store.add([inc("big", b"v102", captured_at=CAPTURED)])  # seen again: the last bucket changes, not 000
    cache = store.path / "provenance-index" / "buckets"
    bucket = git(store.path, "rev-parse", f"main:{document_folder('big')}/versions/000").strip()
    assert [f.name for f in cache.iterdir()] == [f"{bucket}.json"]  # filled by the add that filled bucket 000
    assert "provenance-index" not in git(store.path, "ls-tree", "-r", "--name-only", "main")
    with Store(store.path) as fresh:
        cached = [v.to_dict() for v in fresh.versions("big")]
    for f in cache.iterdir():
        f.unlink()
    with Store(store.path) as fresh:
        assert [v.to_dict() for v in fresh.versions("big")] == cached  # rebuilt: the same
        assert fresh.verify().ok
    assert cached[-1]["seen"] == [CAPTURED.isoformat()] and cached[4]["source"] == "s5"
    # A lying cache is no evidence: verify notes it and rebuilds it from the history.
    entries = json.loads((cache / f"{bucket}.json").read_text())
    entries[4][1]["source"] = "forged"
    (cache / f"{bucket}.json").write_text(json.dumps(entries))
    with Store(store.path) as fresh:
        assert fresh.versions("big")[4].source == "forged"
        report = fresh.verify()
        assert report.ok and any("bucket cache" in n and "rebuilt" in n for n in report.notes)
        assert [v.to_dict() for v in fresh.versions("big")] == cached  # the rebuilt cache tells the truth
    # A torn or foreign file is ignored.
    (cache / f"{bucket}.json").write_text('[["000001-')
    (cache / "not-a-tree.json").write_text("[]")
    with Store(store.path) as fresh:
        assert [v.to_dict() for v in fresh.versions("big")] == cached
        assert fresh.verify().ok


# -- verify


def test_verify_passes_on_a_good_store(store):
    store.add([inc("nda", b"A"), inc("memo", b"M"), inc("nda", b"B")])
    store.add([inc("nda", b"B")])
    report = store.verify()
    assert isinstance(report, VerifyReport)
    assert report.ok and report.fsck_ok and report.problems == []
    assert (report.versions_checked, report.commits_checked) == (3, 4)
    assert store.verify("memo").to_dict() == {"ok": True, "versions_checked": 1, "commits_checked": 1,
                                              "fsck_ok": True, "problems": [], "notes": []}
    with pytest.raises(ProvenanceError, match="unknown document"):
        store.verify("nothing")


def test_verify_reports_a_text_replaced_on_main(store):
    store.add([inc("nda", b"original text"), inc("nda", b"second")])
    v1 = store.resolve("nda", 1)
    fast_import(store.path, [b"M 100644 inline %s/text.txt\ndata 6\nforged\n" % v1.path.encode()])
    assert store.text(store.resolve("nda", 1)) == "forged"
    report = store.verify()
    assert not report.ok and report.fsck_ok
    assert any("nda v1: text.txt sha256" in p and "does not match meta.json" in p for p in report.problems)
    assert any("modified" in p and p.endswith("stored files must never change") for p in report.problems)
    assert any("differs from what commit" in p for p in report.problems)
    assert all("\n" not in p for p in report.problems)
    assert not store.verify("nda").ok


def test_verify_reports_a_removed_version_folder(store):
    store.add([inc("nda", b"one"), inc("nda", b"two"), inc("memo", b"m")])
    v1 = store.resolve("nda", 1)
    fast_import(store.path, [b"D %s\n" % v1.path.encode()])
    report = store.verify()
    assert not report.ok
    assert any(p.startswith("nda v1: version folder") and "is missing from main" in p for p in report.problems)
    assert any("deleted" in p for p in report.problems)
    assert any("not 1..1 without gaps" in p for p in report.problems)
    assert store.verify("memo").ok


# -- locks and concurrency


def test_young_lock_means_busy_then_the_add_goes_through(store):
    store.add([inc("nda", b"one")])
    lock = store.path / "refs" / "heads" / "main.lock"
    lock.write_text("0" * 40 + "\n")
    timer = threading.Timer(0.6, lock.unlink)
    timer.start()
    started = time.monotonic()
    try:
        (r,) = store.add([inc("nda", b"two")])
    finally:
        timer.join()
    assert time.monotonic() - started >= 0.5
    assert r.version.number == 2 and [v.number for v in store.versions("nda")] == [1, 2]


@pytest.mark.parametrize("name", ["refs/heads/main.lock", "packed-refs.lock"])
def test_a_lock_left_by_a_killed_git_is_cleared_logged_and_the_add_goes_through(store, name):
    store.add([inc("nda", b"one")])
    lock = store.path / name
    lock.write_text("")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    started = time.monotonic()
    assert store.add([inc("nda", b"two")])[0].version.number == 2
    assert time.monotonic() - started < 5  # no waiting for a timeout
    assert not lock.exists()
    log = (store.path / "provenance-repairs.log").read_text()
    assert f"removed {lock.name}" in log and "killed git process" in log


def test_a_lock_is_never_removed_while_a_live_writer_is_updating_refs(store, monkeypatch):
    from provenance.locks import OwnedLock
    from provenance.store import writer

    store.add([inc("nda", b"one")])
    lock = store.path / "refs" / "heads" / "main.lock"
    lock.write_text("")
    os.utime(lock, (time.time() - 30, time.time() - 30))
    live = OwnedLock(store.path / writer.WRITERS_LOCK, shared=True)  # a writer inside update-ref
    assert live.try_acquire()
    monkeypatch.setenv("PROVENANCE_STALE_LOCK_SECONDS", "5")
    try:
        with Store(store.path) as s:
            with pytest.raises(ProvenanceError, match="not removed while that writer lives"):
                s.add([inc("nda", b"two")])
        assert lock.exists()
    finally:
        live.release()
    lock.unlink()


class InterferingWriter(Writer):
    """A writer whose main is moved by another (real) writer between fast-import and the CAS."""

    interfere = 0

    def _write(self, *args):
        written = super()._write(*args)
        if self.interfere:
            self.interfere -= 1
            with Store(self.path) as other:
                other.add([inc("nda", b"sneaked in %d" % self.interfere if self.interfere else b"sneaked in")])
        return written


class Interfering(Store):
    """A store whose writer is an InterferingWriter."""

    def __init__(self, path):
        super().__init__(path)
        self.writer = InterferingWriter(self.objects, self.index, self.history, self.locks, self.maintenance,
                                        bucket_size=self.bucket_size)

    interfere = property(lambda self: self.writer.interfere,
                         lambda self, value: setattr(self.writer, "interfere", value))


def test_a_lost_race_recomputes_everything_from_the_fresh_tip(store):
    store.add([inc("nda", b"one")])
    with Interfering(store.path) as s:
        s.interfere = 1
        (r,) = s.add([inc("nda", b"sneaked in")])
        assert s.last_attempts == 2
    # Planned as new v2; the other writer stored the same bytes as v2 first.
    assert (r.status, r.version.number) == ("seen-again", 2)
    assert [v.number for v in store.versions("nda")] == [1, 2] and len(store.resolve("nda").seen) == 1
    assert git(store.path, "for-each-ref", "refs/provenance/") == ""


def test_gives_up_when_main_keeps_moving(store):
    store.add([inc("nda", b"one")])
    with Interfering(store.path) as s:
        s.interfere, s.max_attempts = 10, 3
        with pytest.raises(ProvenanceError, match="too busy.*3 attempts"):
            s.add([inc("nda", b"mine")])
    assert [store.text(v) for v in store.versions("nda")] == ["one", "sneaked in 9", "sneaked in 8", "sneaked in 7"]
    assert git(store.path, "for-each-ref", "refs/provenance/") == ""


WRITER = r"""
import json, sys
from provenance.extract import decode
from provenance.store import Incoming, Store
path, k = sys.argv[1], int(sys.argv[2])
out = []
with Store(path) as store:
    for i in range(15):
        doc = ("shared-a", "shared-b", f"own-{k}")[i % 3]
        raw = f"process {k} add {i} for {doc}".encode()
        (r,) = store.add([Incoming(doc, raw, decode(raw), ingested_by=f"Writer {k} <w{k}@example.org>")])
        out.append({"doc": doc, "version": r.version.number, "commit": r.version.commit,
                    "status": r.status, "raw": raw.decode(), "attempts": store.last_attempts})
print(json.dumps(out))
"""


def test_four_processes_ingesting_at_once_lose_nothing(store):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(store.path), str(k)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env) for k in range(4)]
    reported = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
        reported += json.loads(out)
    assert len(reported) == 60 and all(r["status"] == "new" for r in reported)
    retried = sum(r["attempts"] - 1 for r in reported)  # CAS races lost and redone (often > 0)
    history = set(git(store.path, "rev-list", "main").split())
    assert len(history) == 60
    for r in reported:
        assert r["commit"] in history  # an ancestor of main
    by_key = {(r["doc"], r["version"]): r for r in reported}
    assert len(by_key) == 60  # no (doc, version) was handed out twice
    for doc in ["shared-a", "shared-b"] + [f"own-{k}" for k in range(4)]:
        versions = store.versions(doc)
        assert [v.number for v in versions] == list(range(1, len(versions) + 1))  # gapless, each once
        for v in versions:
            r = by_key[(doc, v.number)]
            assert v.commit == r["commit"] and store.raw(v) == r["raw"].encode()
    assert sum(len(store.versions(d.document)) for d in store.documents()) == 60
    assert git(store.path, "for-each-ref", "refs/provenance/") == ""
    assert store.verify().ok


def test_no_git_cat_file_process_survives_close(tmp_path):
    before = set(child_cat_files())
    with Store.init(tmp_path / "store") as s:
        s.add([inc("nda", b"one")])
        s.add([inc("nda", b"two"), inc("nda", b"one")])
        v = s.resolve("nda", 1)
        assert s.text(v) == "one" and s.versions("nda") and s.documents()
        assert set(child_cat_files()) - before  # the store's persistent cat-file is running
    assert set(child_cat_files()) - before == set()
    s2 = Store(tmp_path / "store")
    s2.resolve("nda")
    s2.close()
    s2.close()  # closing twice is fine
    assert set(child_cat_files()) - before == set()
    with pytest.raises(ProvenanceError, match="closed"):
        s2.resolve("nda")


def test_plain_git_log_is_the_audit_trail(store):
    store.add([inc("nda", b"one", note="from the archive")])
    out = subprocess.run(["git", "-C", str(store.path), "log"], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, check=True).stdout
    assert "Ingest nda v1" in out and "Document: nda" in out and "Version: 1" in out
    assert "from the archive" in out
    v = store.resolve("nda")
    shown = subprocess.run(["git", "-C", str(store.path), "show", f"main:{v.path}/text.txt"],
                           capture_output=True, env=git_env(store.path), check=True).stdout
    assert shown == b"one"


def test_the_local_commit_index_is_a_cache_that_verify_checks(store):
    results = store.add([inc("nda", b"one"), inc("nda", b"two")])
    commits = [r.version.commit for r in results]
    assert [v.commit for v in store.versions("nda")] == commits
    index = store.path / "provenance-index"
    assert (index / "tips").read_text().split()[-1] == git(store.path, "rev-parse", "main").strip()  # kept by add
    assert "provenance-index" not in git(store.path, "ls-tree", "-r", "--name-only", "main")  # not in the data
    # Deleted: rebuilt by one walk.
    for f in index.iterdir():
        f.unlink()
    index.rmdir()
    with Store(store.path) as fresh:
        assert [v.commit for v in fresh.versions("nda")] == commits
        assert fresh.resolve("nda", 1).commit == commits[0]
    # A torn last line is ignored; a lying entry is noted by verify, which rebuilds the index.
    shard = index / document_folder("nda").split("/")[1]
    v1, v2 = store.versions("nda")
    shard.write_text(f"{commits[1]} {v1.path}\n{commits[1]} {v2.path}\n{commits[0][:20]}")
    with Store(store.path) as fresh:
        assert fresh.resolve("nda", 2).commit == commits[1]
        report = fresh.verify()
    assert report.ok and any("local index" in n and "rebuilt" in n for n in report.notes)
    assert f"{commits[0]} {v1.path}" in shard.read_text()  # rebuilt from the history
    shard.unlink()
    with Store(store.path) as fresh:
        assert [v.commit for v in fresh.versions("nda")] == commits  # missing entries: found by a walk
        assert fresh.verify().ok


# -- meta.json bytes: the quick layout must equal json.dumps exactly (the sha256 names the version folder)

_json_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
                 | st.floats(allow_nan=True, allow_infinity=True) | st.text() | st.sampled_from(["", "ü", "文件", "\u2028", "\x00\n\"\\", "\ud800"]))
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)


def _old_dump_json(obj) -> bytes:
    return (json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.text(max_size=12), _json_values, max_size=25) | _json_values)
def test_dump_json_is_json_dumps_byte_for_byte(obj):
    try:
        expected = _old_dump_json(obj)
    except UnicodeEncodeError:  # a lone surrogate: both must refuse it
        with pytest.raises(UnicodeEncodeError):
            _dump_json(obj)
        return
    assert _dump_json(obj) == expected


def test_dump_json_shapes_of_meta_json():
    meta = {"document": "acme/Ünïcödé 文件", "version": 12, "bytes": 0, "note": None, "repeats": None,
            "meta": {}, "seen": [], "flag": True, "off": False, "neg": -3, "big": 10 ** 30, "ratio": 0.5,
            "nested": {"z": {"a": [1, {"b": []}, {}]}, "a": ["x", None]}, "tab\tkey": "line\nbreak \u2028"}
    for obj in (meta, {"meta": {"k": "v", "a": "é"}}, {}, [], [{}], {"a": {}}, {"n": float("nan"), "i": float("inf")},
                {"t": (1, 2)}, {1: "int key"}, {"b": 1, "a": 2}, "s", 3, None):
        assert _dump_json(obj) == _old_dump_json(obj), obj
    with pytest.raises(TypeError):
        _dump_json({"a": object()})
    with pytest.raises(TypeError):
        _dump_json({"a": 1, 2: "b"})  # keys json.dumps cannot sort
    circular: dict = {}
    circular["self"] = circular
    with pytest.raises(ValueError):
        _dump_json(circular)


def test_all_versions_is_every_documents_versions(store):
    """all_versions (what `provenance log` with no ID lists) reads a whole
    store at once and gives exactly what versions() gives document by
    document: full and growing buckets, seen-again observations, ids that
    need quoting, commits."""
    assert store.all_versions() == []
    store.add([inc("big", b"v%d" % i) for i in range(1, 151)])  # a full bucket (cached by versions()) and a second
    store.add([inc("nda", b"one", captured_at=CAPTURED), inc("a/b c\u00e9", b"x")])
    store.add([inc("nda", b"one", captured_at=CAPTURED + timedelta(days=1))])  # seen again
    store.add([inc("nda", b"one", captured_at=CAPTURED + timedelta(days=2)), inc("nda", b"two")])
    store.versions("big")  # fill the bucket cache: it must not change the answer
    expected = [v for d in store.documents() for v in store.versions(d.document)]
    found = store.all_versions()
    assert found == expected  # in the same order too
    assert len(found) == 153 and all(v.commit for v in found)
    (nda1,) = [v for v in found if v.document == "nda" and v.number == 1]
    assert len(nda1.seen) == 2


def test_all_versions_names_an_unreadable_meta_json(store):
    (r,) = store.add([inc("nda", b"one")])
    tip = git(store.path, "rev-parse", "main").strip()
    fast_import(store.path, [b"M 100644 inline %s/meta.json\ndata 5\n{oops\n" % r.version.path.encode()])
    assert git(store.path, "rev-parse", "main").strip() != tip
    with pytest.raises(ProvenanceError, match=r"^unreadable .*/meta\.json in .*\(run `provenance verify`\)$"):
        Store.open(store.path).all_versions()


def test_waiting_on_a_live_writers_lock_says_so(store):
    store.add([inc("nda", b"one")])
    lock = store.path / "refs" / "heads" / "main.lock"
    lock.write_text("0" * 40 + "\n")
    told = []
    store.on_busy = told.append
    from provenance.locks import OwnedLock
    from provenance.store import writer

    live = OwnedLock(store.path / writer.WRITERS_LOCK, shared=True)  # the writer inside update-ref
    assert live.try_acquire()

    def done():
        live.release()
        lock.unlink()

    timer = threading.Timer(1.5, done)
    timer.start()
    try:
        (r,) = store.add([inc("nda", b"two")])
    finally:
        timer.join()
    assert r.version.number == 2
    assert len(told) == 1 and "waiting for another writer: main.lock" in told[0]


# -- raw snapshots streamed from their files (issue #13, item 4)


def test_a_file_is_kept_in_its_file_and_streamed_into_the_store(tmp_path, monkeypatch):
    """read_versions keeps a file's bytes in the file (a RawFile: size and
    SHA-256 of what was extracted); the writer hashes it and feeds it to git
    in chunks, and a large text in chunks too.  Small chunks here, so that
    every chunked path runs on small files: what is stored is byte for byte
    what whole reads would store."""
    from provenance import ingest
    from provenance.ingest import ingest_paths, read_versions
    from provenance.store import RawFile
    from provenance.store import stream, writer

    small = tmp_path / "small.txt"
    small.write_text("a small file stays bytes\n")
    assert read_versions([("a", str(small))])[0].raw == small.read_bytes()  # (read once, not three times)
    monkeypatch.setattr(ingest, "STREAM_OVER", 100)
    monkeypatch.setattr(writer, "_CHUNK", 1000)  # (the writer's choice to stream a text)
    monkeypatch.setattr(stream, "_CHUNK", 1000)  # (the chunks it streams)
    monkeypatch.setattr(writer, "_STREAM_BLOBS_OVER", 5000)  # (fast-import streams these into the pack)
    utf8 = tmp_path / "utf8.txt"
    utf8.write_text("Ünïcode words, " * 2000 + "\n", encoding="utf-8")
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("\ufeff".encode("utf-16-le") + ("Ünïcode words, " * 2000 + "\n").encode("utf-16-le"))
    items = read_versions([("a", str(utf8))])
    assert isinstance(items[0].raw, RawFile)
    assert items[0].raw == RawFile(str(utf8), utf8.stat().st_size, hashlib.sha256(utf8.read_bytes()).hexdigest())
    with Store.init(tmp_path / "store") as s:
        for path in (utf8, utf16):
            result = ingest_paths(s, path.stem, [str(path)])[0]
            v = result.version
            raw = path.read_bytes()
            text = s.text(v)
            assert s.raw(v) == raw and v.bytes == len(raw)
            assert v.content_sha256 == hashlib.sha256(raw).hexdigest()
            assert v.text_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
            assert text == raw.decode("utf-8" if path is utf8 else "utf-16").lstrip("\ufeff")
            assert len(text) > 5 * stream._CHUNK
        assert s.verify().ok


def test_a_file_that_changes_after_it_was_read_is_refused_and_nothing_is_stored(tmp_path, monkeypatch):
    """The bytes stored are the bytes extracted: a file rewritten between
    reading and storing is a one-line error, and the store is unchanged."""
    from provenance import ingest
    from provenance.ingest import read_versions, store_versions

    monkeypatch.setattr(ingest, "STREAM_OVER", 0)
    f = tmp_path / "terms.txt"
    f.write_text("The terms, as read.\n")
    with Store.init(tmp_path / "store") as s:
        s.add([inc("other", b"already here\n")])
        tip = s.objects.tip()
        for rewrite in ("The terms, changed!\n", "The terms, as read.\nand more\n", "short\n"):
            items = read_versions([("acme/terms", str(f))])
            f.write_text(rewrite)
            with pytest.raises(ProvenanceError, match=r"terms\.txt: changed while it was being ingested"):
                store_versions(s, items)
            f.write_text("The terms, as read.\n")
            assert s.objects.tip() == tip
        assert s.documents() and [d.document for d in s.documents()] == ["other"]
