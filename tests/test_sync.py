"""Sync (provenance/store/sync.py, numbering.py): real stores and a real bare
remote in temporary folders, git's own transport, several processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli
from provenance.errors import ProvenanceError
from provenance.extract import decode
from provenance.store import Incoming, Store

USER = "Ada Reporter <ada@example.org>"


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=timezone.utc)


def inc(doc: str, data: bytes, day: int, by: str = USER, hour: int = 12) -> Incoming:
    return Incoming(doc, data, decode(data), captured_at=at(day, hour), ingested_by=by)


def git(path: Path, *args: str, check: bool = True) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(["git", "--git-dir", str(path), *args], capture_output=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr.decode()}")
    return proc.stdout.decode()


def make_hub(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(path)], check=True)
    git(path, "config", "uploadpack.allowFilter", "true")  # what GitHub, GitLab and Gitea allow
    git(path, "config", "receive.denyNonFastForwards", "true")
    return path


def cli_run(store: Path, *args: str, expect: int = 0):
    result = CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)
    assert result.exit_code == expect, (result.exit_code, result.output, result.stderr)
    return result


def one_line_error(result, fragment: str) -> str:
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("provenance: error: "), lines
    assert fragment in lines[0], lines[0]
    return lines[0]


def log_json(store: Path, doc: str) -> str:
    return cli_run(store, "log", doc, "--json").output


def store_with_remote(path: Path, hub: Path, items: list[Incoming]) -> Path:
    with Store.init(path) as s:
        if items:
            s.add(items)
        s.sync.add_remote("origin", str(hub))
    return path


def sync(path: Path, name: str | None = None):
    with Store(path) as s:
        return s.sync.sync(name)


def by_uid(path: Path) -> dict[str, dict]:
    """Every version folder's stored facts, by uid (whatever numbering shows)."""
    out = {}
    with Store(path) as s:
        for v in s.all_versions():
            for uid in (v.uid, *v.merged_uids):
                out[uid] = v
    return out


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("PROVENANCE_USER", USER)
    monkeypatch.delenv("PROVENANCE_STORE", raising=False)


def test_two_stores_that_ingested_independently_end_identical(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    x, y, z = b"The terms, first draft.\n", b"The terms, second draft.\n", b"The terms, as leaked.\n"
    a = store_with_remote(tmp_path / "a", hub, [inc("acme/terms", x, 1), inc("acme/terms", y, 3), inc("a/only", b"A alone\n", 2)])
    b = store_with_remote(tmp_path / "b", hub, [inc("acme/terms", x, 2, by="Bo <bo@example.org>"),
                                                  inc("acme/terms", z, 2, hour=18, by="Bo <bo@example.org>"),
                                                  inc("b/only", b"B alone\n", 4, by="Bo <bo@example.org>")])
    with Store(a) as s:
        before_a = {v.uid: (v.commit, v.content_sha256, v.captured_at, s.raw(v)) for v in s.all_versions()}
    with Store(b) as s:
        before_b = {v.uid: (v.commit, v.content_sha256, v.captured_at, s.raw(v)) for v in s.all_versions()}

    pulled, pushed = sync(a)
    assert pulled.action == "empty-remote" and pushed.action == "pushed" and pushed.versions_added == 3
    pulled, pushed = sync(b)
    assert pulled.action == "merge" and pulled.versions_added == 3 and pushed.action == "pushed"
    pulled, pushed = sync(a)
    assert pulled.action == "fast-forward" and pushed.action == "up-to-date"

    for doc in ("acme/terms", "a/only", "b/only"):
        assert log_json(a, doc) == log_json(b, doc)
    assert cli_run(a, "docs", "--json").output == cli_run(b, "docs", "--json").output

    # Every version of both sides, exactly once, with its own commit, hashes, capture time and bytes.
    with Store(a) as s:
        versions = s.versions("acme/terms")
        stored = {v.uid: v for v in s.all_versions()}
        for uid, (commit, sha, captured, raw) in {**before_a, **before_b}.items():
            v = stored.get(uid) or next(v for v in stored.values() if uid in v.merged_uids)
            assert v.content_sha256 == sha
            if v.uid == uid:
                assert (v.commit, v.captured_at, s.raw(v)) == (commit, captured, raw)
            else:  # the same bytes captured on the other machine: an observation of this version
                assert captured in v.seen and s.raw(v) == raw
    # x captured on both machines is one version observed twice; then z (Jan 2, 18h), then y (Jan 3).
    assert [v.content_sha256 for v in versions] == [before_a[versions[0].uid][1], versions[1].content_sha256,
                                                    versions[2].content_sha256]
    assert [(v.number, v.captured_at) for v in versions] == [
        (1, "2024-01-01T12:00:00+00:00"), (2, "2024-01-02T18:00:00+00:00"), (3, "2024-01-03T12:00:00+00:00")]
    assert versions[0].seen == ("2024-01-02T12:00:00+00:00",) and len(versions[0].merged_uids) == 1
    assert len(before_a) + len(before_b) == 6 == len(stored) + sum(len(v.merged_uids) for v in stored.values())

    # git log shows where the histories joined; nothing was rewritten.
    merges = git(a, "log", "--merges", "--format=%H %P").split("\n")[0].split()
    assert len(merges) == 3
    for commit, *_ in before_a.values():
        assert git(a, "merge-base", "--is-ancestor", commit, "main", check=False) == ""
    assert git(a, "rev-parse", "main") == git(b, "rev-parse", "main") == git(hub, "rev-parse", "main")
    for store in (a, b):
        result = cli_run(store, "verify", "--json")
        report = json.loads(result.output)
        assert report["ok"] and report["versions_checked"] == 6, report


def test_sync_order_does_not_change_the_numbering(tmp_path):
    """Three stores, overlapping documents, synced in two different orders:
    the same `log --json` on every side, whatever the order."""
    docs = {"a": [inc("shared", b"s1\n", 1), inc("shared", b"s2\n", 5), inc("other", b"o1\n", 2)],
            "b": [inc("shared", b"s1 b\n", 3, by="Bo <bo@example.org>"), inc("other", b"o1\n", 4, by="Bo <bo@example.org>")],
            "c": [inc("shared", b"s2\n", 5, by="Cy <cy@example.org>"), inc("c", b"c1\n", 1, by="Cy <cy@example.org>")]}
    seed = tmp_path / "seed"
    for name, items in docs.items():
        with Store.init(seed / name) as s:
            s.add(items)
    logs = []
    for order in (["a", "b", "c", "a", "b"], ["c", "b", "a", "c", "b"]):
        run = tmp_path / "".join(order)
        hub = make_hub(run / "hub.git")
        for name in docs:
            shutil.copytree(seed / name, run / name)
            with Store(run / name) as s:
                s.sync.add_remote("origin", str(hub))
        for name in order:
            sync(run / name)
        out = {name: {doc: log_json(run / name, doc) for doc in ("shared", "other", "c")} for name in docs}
        assert out["a"] == out["b"] == out["c"]
        logs.append(out["a"])
        for name in docs:
            assert json.loads(cli_run(run / name, "verify", "--json").output)["ok"]
    assert logs[0] == logs[1]
    shared = json.loads(logs[0]["shared"])
    # s1 (a, Jan 1) stays v1; s1 b (Jan 3) and s2 (a and c, Jan 5: one version, two observations) follow.
    assert [(v["version"], v["captured_at"][:10], len(v["seen"])) for v in shared] == [
        (3, "2024-01-05", 1), (2, "2024-01-03", 0), (1, "2024-01-01", 0)]
    other = json.loads(logs[0]["other"])
    assert len(other) == 1 and other[0]["seen"] == ["2024-01-04T12:00:00+00:00"]


def test_id_at_uid_names_the_same_bytes_after_a_merge(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("doc", b"one\n", 1), inc("doc", b"two\n", 5)])
    b = store_with_remote(tmp_path / "b", hub, [inc("doc", b"one\n", 1, by="Bo <bo@example.org>")])
    sync(a)
    sync(b)
    with Store(b) as s:
        s.add([inc("doc", b"between\n", 3, by="Bo <bo@example.org>")])  # concurrent with a's v2
        mine = s.resolve("doc", 2)
        assert mine.number == 2 and s.raw(mine) == b"between\n"
    with Store(a) as s:
        theirs = s.resolve("doc", 2)
        assert s.raw(theirs) == b"two\n"
    sync(b)
    sync(a)
    for store in (a, b):
        with Store(store) as s:
            # ID@2 moved (capture order), ID@uid did not.
            assert s.raw(s.resolve("doc", 2)) == b"between\n" and s.raw(s.resolve("doc", 3)) == b"two\n"
            assert s.raw(s.resolve("doc", mine.uid)) == b"between\n"
            assert s.raw(s.resolve("doc", theirs.uid)) == b"two\n"
            assert s.resolve("doc").uid == theirs.uid and s.resolve("doc", -1).uid == mine.uid
        assert cli_run(store, "show", f"doc@{theirs.uid}", "--raw").output == "two\n"
        assert cli_run(store, "diff", f"doc@{mine.uid}", f"doc@{theirs.uid}", "--format", "json").exit_code == 0
    with pytest.raises(ProvenanceError, match="no version with uid"):
        with Store(a) as s:
            s.resolve("doc", "0123456789ab")


def test_identical_bytes_captured_on_two_machines_are_one_version(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    page = b"<html><body><p>Same page, seen from two places.</p></body></html>"
    a = store_with_remote(tmp_path / "a", hub, [inc("page", page, 1, hour=9)])
    b = store_with_remote(tmp_path / "b", hub, [inc("page", page, 1, hour=10, by="Bo <bo@example.org>")])
    sync(a), sync(b), sync(a)
    for store in (a, b):
        with Store(store) as s:
            (v,) = s.versions("page")
            assert v.number == 1 and v.captured_at == "2024-01-01T09:00:00+00:00"
            assert v.seen == ("2024-01-01T10:00:00+00:00",) and len(v.merged_uids) == 1
            (summary,) = s.documents()
            assert summary.versions == 1 and summary.last_captured_at == "2024-01-01T10:00:00+00:00"
            # The next capture of those bytes is seen again; new bytes are version 2.
            s.add([inc("page", page + b"<p>more</p>", 2)])
            assert [v.number for v in s.versions("page")] == [1, 2]
    assert log_json(a, "page") != ""  # (both stores now diverge again until the next sync)


def test_concurrent_pushes_from_several_processes_lose_nothing(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    stores = []
    for i in range(4):
        items = [inc(f"doc{j}", f"machine {i} version {k} of doc{j}\n".encode(), 1 + k, by=f"M{i} <m{i}@example.org>")
                 for j in range(3) for k in range(3)]
        stores.append(store_with_remote(tmp_path / f"s{i}", hub, items))
    env = {**os.environ, "PROVENANCE_USER": USER}
    procs = [subprocess.Popen([sys.executable, "-m", "provenance.cli", "--store", str(s), "push", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for s in stores]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
        results.append(json.loads(out))
    assert all(r["action"] == "pushed" for r in results)
    assert any(r["attempts"] > 1 for r in results) or len({r["remote_tip"] for r in results}) == 4
    for r in results:  # what was reported as pushed is in the remote's history
        assert git(hub, "merge-base", "--is-ancestor", r["after"], "main", check=False) == ""
    final = tmp_path / "reader"
    with Store.clone(str(hub), final)[0] as s:
        versions = s.all_versions()
        assert len(versions) == 4 * 3 * 3
        assert not s.verify().problems
    for i in range(4):  # and every store's own versions are there
        with Store(stores[i]) as s:
            mine = {v.uid for v in s.all_versions()}
        assert mine <= {v.uid for v in versions}


def test_a_remote_that_rewrote_its_history_is_refused(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("doc", b"one\n", 1), inc("doc", b"two\n", 2)])
    sync(a)
    first, second = git(a, "rev-list", "--reverse", "main").split()
    # Someone rewrites the remote: the second ingest replaced by a forged one.
    forged = git(hub, "commit-tree", git(hub, "rev-parse", f"{second}^{{tree}}").strip(), "-p", first,
                 "-m", "Ingest doc v2\n\nforged").strip()
    git(hub, "update-ref", "refs/heads/main", forged)
    before = git(a, "rev-parse", "main")
    result = CliRunner().invoke(cli, ["--store", str(a), "pull"])
    line = one_line_error(result, "rewrote its history")
    assert second[:12] in line
    assert git(a, "rev-parse", "main") == before
    assert json.loads(cli_run(a, "verify", "--json").output)["ok"]


def test_a_remote_that_rewrites_this_stores_history_is_refused(tmp_path):
    """A remote never pulled before, holding this store's history with one
    ingest re-recorded: refused, naming the forged commit."""
    a = Store.init(tmp_path / "a")
    with a:
        a.add([inc("doc", b"one\n", 1), inc("doc", b"two\n", 2)])
    first, second = git(tmp_path / "a", "rev-list", "--reverse", "main").split()
    hub = make_hub(tmp_path / "hub.git")
    git(tmp_path / "a", "push", "-q", str(hub), "main")
    message = git(hub, "log", "-1", "--format=%B", second).replace("Bytes: 4", "Bytes: 4\nSource: elsewhere")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    forged = subprocess.run(["git", "--git-dir", str(hub), "commit-tree", f"{second}^{{tree}}", "-p", first],
                            input=message.encode(), capture_output=True, env=env, check=True).stdout.decode().strip()
    git(hub, "update-ref", "refs/heads/main", forged)
    with Store(tmp_path / "a") as s:
        s.sync.add_remote("forger", str(hub))
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "a"), "pull", "forger"])
    one_line_error(result, f"its commit {forged[:12]}")
    assert git(tmp_path / "a", "rev-parse", "main").strip() == second


def test_both_stores_reextracting_one_version_is_refused_cleanly(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("doc", b"<p>page</p>", 1)])
    sync(a)
    b = Store.clone(str(hub), tmp_path / "b")[0]
    b.close()
    for store, note in ((a, "here"), (tmp_path / "b", "there")):
        with Store(store) as s:
            v = s.resolve("doc")
            s.reextract(v, decode(f"<p>page, read {note}</p>".encode()), note=note)
    sync(a)
    before = git(tmp_path / "b", "rev-parse", "main")
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "b"), "pull"])
    one_line_error(result, "extractions/2/")
    assert git(tmp_path / "b", "rev-parse", "main") == before


def test_a_lazy_clone_reads_reports_and_says_what_it_could_not_check(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    # (a byte order mark: the raw snapshot differs from its text, as a PDF's does)
    pages = [b"\xef\xbb\xbfVersion %d of the terms.\n" % i for i in range(3)]
    a = store_with_remote(tmp_path / "a", hub, [inc("terms", p, 1 + i) for i, p in enumerate(pages)])
    sync(a)
    reader = tmp_path / "reader"
    result = CliRunner().invoke(cli, ["clone", "--lazy", str(hub), str(reader)])
    assert result.exit_code == 0, result.output
    assert "lazy" in result.output
    missing = git(reader, "rev-list", "--objects", "--missing=print", "main").count("\n?")
    assert missing == 3  # the three raw snapshots; meta.json and texts are here
    assert log_json(reader, "terms") == log_json(a, "terms")
    assert "Version 2" in cli_run(reader, "show", "terms@3").output
    report = json.loads(cli_run(reader, "verify", "--json").output)
    assert report["ok"] and any("3 blob(s)" in n and "not checked" in n for n in report["notes"]), report
    # A raw snapshot is fetched when read; verify then checks it.
    assert cli_run(reader, "show", "terms@1", "--raw").output.encode() == pages[0]
    report = json.loads(cli_run(reader, "verify", "--json").output)
    assert any("2 blob(s)" in n for n in report["notes"]), report


def test_remote_commands_and_their_errors(tmp_path, monkeypatch):
    hub = make_hub(tmp_path / "hub.git")
    store = tmp_path / "s"
    cli_run(store, "init")
    result = CliRunner().invoke(cli, ["--store", str(store), "push"])
    one_line_error(result, "no remote")
    cli_run(store, "remote", "add", "origin", str(hub))
    cli_run(store, "remote", "add", "mirror", "https://git.example.org/archive.git")
    assert cli_run(store, "remote").output == "mirror\norigin\n"
    assert cli_run(store, "remote", "-v").output == f"mirror\thttps://git.example.org/archive.git\norigin\t{hub}\n"
    assert json.loads(cli_run(store, "remote", "--json").output)[1] == {"name": "origin", "url": str(hub)}
    one_line_error(CliRunner().invoke(cli, ["--store", str(store), "remote", "add", "x", "https://u:secret@example.org/a.git"]),
                   "password")
    one_line_error(CliRunner().invoke(cli, ["--store", str(store), "remote", "add", "origin", str(hub)]), "exists")
    one_line_error(CliRunner().invoke(cli, ["--store", str(store), "pull", "nowhere"]), "no remote called")
    one_line_error(CliRunner().invoke(cli, ["--store", str(store), "pull", "mirror"]), "cannot fetch from mirror")
    assert "secret" not in (store / "config").read_text()
    cli_run(store, "remote", "remove", "mirror")
    assert cli_run(store, "remote").output == "origin\n"
    assert json.loads(cli_run(store, "pull", "--json").output)["action"] == "empty-remote"
    # A file:// URL, and a relative path (kept absolute: git would read it against any later cwd).
    other = store_with_remote(tmp_path / "other", hub, [inc("doc", b"from the other store\n", 1)])
    sync(other)
    cli_run(store, "remote", "add", "viafile", hub.as_uri())
    assert json.loads(cli_run(store, "pull", "viafile", "--json").output)["versions_added"] == 1
    monkeypatch.chdir(tmp_path)
    cli_run(store, "remote", "add", "relative", "hub.git")
    assert json.loads(cli_run(store, "remote", "--json").output)[1] == {"name": "relative", "url": str(hub)}
    one_line_error(CliRunner().invoke(cli, ["clone", str(hub), str(store)]), "not an empty directory")
    one_line_error(CliRunner().invoke(cli, ["clone", str(tmp_path / "nothing.git"), str(tmp_path / "c")]), "cannot fetch")
    assert not (tmp_path / "c").exists()  # nothing half-made


def test_verify_still_refuses_duplicate_numbers_without_a_merge(tmp_path):
    """Numbers shared by two folders are legitimate only where histories
    joined; a forged second v1 in a linear history is still a mismatch."""
    with Store.init(tmp_path / "s") as s:
        s.add([inc("doc", b"one\n", 1)])
        v = s.resolve("doc")
    path = tmp_path / "s"
    tree = git(path, "rev-parse", "main^{tree}").strip()
    forged_folder = v.path.replace(v.uid, "0" * 12)
    index = tmp_path / "index"
    env = {k: val for k, val in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_DIR=str(path), GIT_INDEX_FILE=str(index))
    blob = git(path, "rev-parse", f"main:{v.path}/meta.json").strip()
    subprocess.run(["git", "read-tree", tree], env=env, check=True)
    subprocess.run(["git", "update-index", "--add", "--cacheinfo", f"100644,{blob},{forged_folder}/meta.json"],
                   env=env, check=True)
    new_tree = subprocess.run(["git", "write-tree"], env=env, capture_output=True, check=True).stdout.decode().strip()
    forged = git(path, "commit-tree", new_tree, "-p", "main", "-m", "Ingest doc v1\n\nPath: " + forged_folder).strip()
    git(path, "update-ref", "refs/heads/main", forged)
    with Store(path) as s:
        problems = s.verify().problems
    assert any("version numbers are not 1..2 without gaps: 1, 1" in p for p in problems), problems


def test_what_does_not_verify_is_refused_before_main_moves(tmp_path):
    """A remote whose new commit swaps a stored snapshot (a rewrite that keeps
    every commit id this store knew): pull checks what arrived and refuses."""
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("doc", b"one\n", 1)])
    sync(a)
    b = Store.clone(str(hub), tmp_path / "b")[0]
    b.close()
    with Store(tmp_path / "b") as s:
        v = s.resolve("doc")
    env = {k: val for k, val in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_DIR=str(hub), GIT_INDEX_FILE=str(tmp_path / "index"))
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], input=b"forged\n", env=env,
                          capture_output=True, check=True).stdout.decode().strip()
    subprocess.run(["git", "read-tree", "main"], env=env, check=True)
    subprocess.run(["git", "update-index", "--cacheinfo", f"100644,{blob},{v.path}/snapshot.txt"], env=env, check=True)
    tree = subprocess.run(["git", "write-tree"], env=env, capture_output=True, check=True).stdout.decode().strip()
    forged = git(hub, "commit-tree", tree, "-p", "main", "-m", "Ingest doc v2\n\nDocument: doc").strip()
    git(hub, "update-ref", "refs/heads/main", forged)
    before = git(tmp_path / "b", "rev-parse", "main")
    line = one_line_error(CliRunner().invoke(cli, ["--store", str(tmp_path / "b"), "pull"]), "does not verify")
    assert f"would change {v.path}/snapshot.txt" in line
    assert git(tmp_path / "b", "rev-parse", "main") == before


def test_ingest_after_a_merge_compares_with_the_latest_capture(tmp_path):
    """After concurrent versions met, the latest version is the latest by
    capture (the derived numbering), not the folder with the highest stored
    number: the page going back to older bytes is a new version, the latest
    bytes again an observation."""
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("doc", b"one\n", 1)])
    sync(a)
    b = Store.clone(str(hub), tmp_path / "b")[0]
    with b:
        b.add([inc("doc", b"late\n", 9, by="Bo <bo@example.org>")])  # folder 2 on b
    with Store(a) as s:
        s.add([inc("doc", b"two\n", 5), inc("doc", b"three\n", 6)])  # folders 2 and 3 on a
    sync(a), sync(tmp_path / "b"), sync(a)
    with Store(a) as s:
        assert [s.raw(v) for v in s.versions("doc")] == [b"one\n", b"two\n", b"three\n", b"late\n"]
        (back,) = s.add([inc("doc", b"three\n", 10)])
        assert back.status == "repeat" and back.version.number == 5 and back.version.repeats == 3
        (again,) = s.add([inc("doc", b"three\n", 11)])
        assert again.status == "seen-again"
        versions = s.versions("doc")
        assert [s.raw(v) for v in versions] == [b"one\n", b"two\n", b"three\n", b"late\n", b"three\n"]
        assert versions[-1].seen == ("2024-01-11T12:00:00+00:00",) and versions[-1].repeats == 3
        assert not s.verify().problems


def test_a_pull_racing_local_ingests_loses_nothing(tmp_path):
    """Ingests and a pull move main at the same time: each goes through the
    writer's compare-and-swap, so whichever loses starts again on the new tip."""
    import threading

    hub = make_hub(tmp_path / "hub.git")
    other = store_with_remote(tmp_path / "other", hub, [inc(f"o{i}", b"remote %d\n" % i, 1) for i in range(30)])
    sync(other)
    mine = store_with_remote(tmp_path / "mine", hub, [])
    errors = []

    def ingest():
        try:
            with Store(mine) as s:
                for i in range(15):
                    s.add([inc("local", b"local version %d\n" % i, 1 + i)])
        except Exception as exc:  # pragma: no cover (reported below)
            errors.append(exc)

    worker = threading.Thread(target=ingest)
    worker.start()
    with Store(mine) as s:
        for _ in range(3):
            s.sync.pull()
    worker.join()
    assert not errors
    with Store(mine) as s:
        s.sync.pull()
        assert len(s.versions("local")) == 15 and len(s.documents()) == 31
        assert not s.verify().problems


def test_a_lazy_clone_pulls_from_a_second_remote(tmp_path):
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("doc", b"\xef\xbb\xbfone\n", 1)])
    sync(a)
    reader = Store.clone(str(hub), tmp_path / "reader", lazy=True)[0]
    reader.close()
    other = make_hub(tmp_path / "other.git")
    b = store_with_remote(tmp_path / "b", other, [inc("memo", b"\xef\xbb\xbfa memo\n", 2, by="Bo <bo@example.org>")])
    sync(b)
    cli_run(tmp_path / "reader", "remote", "add", "other", str(other))
    assert json.loads(cli_run(tmp_path / "reader", "pull", "other", "--json").output)["versions_added"] == 1
    assert cli_run(tmp_path / "reader", "show", "memo", "--raw").output.encode() == b"\xef\xbb\xbfa memo\n"
    report = json.loads(cli_run(tmp_path / "reader", "verify", "--json").output)
    assert report["ok"] and any("1 blob(s)" in n for n in report["notes"]), report  # doc's snapshot: still remote


def test_the_very_same_record_made_in_two_stores_is_one_version(tmp_path):
    """Same bytes, capture time and ingester, ingested in the same second in
    two stores: the same folder and trailers, two commits; sync keeps one
    version and verify passes (a rewrite would differ in some trailer)."""
    hub = make_hub(tmp_path / "hub.git")
    for attempt in range(5):
        root = tmp_path / str(attempt)
        hub_used = hub if attempt == 0 else make_hub(root / "hub.git")
        # (different earlier histories: else the two commits would be one, git's ids being content)
        a = store_with_remote(root / "a", hub_used, [inc("a-only", b"a\n", 1)])
        b = store_with_remote(root / "b", hub_used, [inc("b-only", b"b\n", 1, by="Bo <bo@example.org>")])
        with Store(a) as sa, Store(b) as sb:
            (ra,) = sa.add([inc("doc", b"the same\n", 1)])
            (rb,) = sb.add([inc("doc", b"the same\n", 1)])
        if ra.version.path == rb.version.path:
            break
    else:
        pytest.skip("could not ingest twice within one second")
    assert ra.version.commit != rb.version.commit
    sync(a), sync(b), sync(a)
    for store in (a, b):
        with Store(store) as s:
            (v,) = s.versions("doc")
            assert v.path == ra.version.path and not s.verify().problems


def test_a_signing_store_signs_its_merge_commits(tmp_path, ssh_signing):
    """A store that signs (provenance.sign) signs the merge a pull makes,
    with the same key as its ingests: `verify --signatures` calls it good."""
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("a/only", b"A alone\n", 1)])
    b = store_with_remote(tmp_path / "b", hub, [])
    git(b, "config", "provenance.sign", "true")
    with Store(b) as s:
        s.add([inc("b/only", b"B alone\n", 2)])
    sync(a)
    pulled, pushed = sync(b)
    assert pulled.action == "merge" and pushed.action == "pushed"
    merge = git(b, "rev-parse", "main").strip()
    assert len(git(b, "rev-list", "--parents", "-n1", merge).split()) == 3  # (a merge commit)
    assert "\ngpgsig -----BEGIN SSH SIGNATURE-----" in git(b, "cat-file", "commit", merge)
    data = json.loads(cli_run(b, "verify", "--signatures", "--json").output)
    statuses = {c["commit"]: (c["subject"], c["status"]) for c in data["signatures"]["commits"]}
    assert statuses[merge] == ("Merge origin/main: 1 version arrived", "good")
    assert sorted(s for _, s in statuses.values()) == ["good", "good", "unsigned"]  # a's ingest is a's own
    assert data["ok"]


@pytest.mark.parametrize("then", ["ingest", "doctor"])
def test_a_fetch_ref_left_by_a_killed_pull_goes_at_once(tmp_path, then):
    """A pull killed after its fetch leaves its private incoming ref; it is
    named after its owner like the writer's own, so the next ingest (its
    maintenance) or `doctor` removes it at once, not after an hour."""
    hub = make_hub(tmp_path / "hub.git")
    a = store_with_remote(tmp_path / "a", hub, [inc("a/only", b"A alone\n", 1)])
    b = store_with_remote(tmp_path / "b", hub, [inc("b/only", b"B alone\n", 2)])
    sync(a)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from provenance.store import Store\n"
        "s = Store(sys.argv[1])\n"
        "sha, ref = s.sync.fetch('origin')\n"
        "print(ref, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"), str(b)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    ref = killed.stdout.strip()
    assert ref.startswith("refs/provenance/incoming/fetch-")
    assert git(b, "for-each-ref", "--format=%(refname)", "refs/provenance/incoming/").split() == [ref]
    assert f"leftover {ref}" in cli_run(b, "verify").output
    if then == "ingest":
        f = tmp_path / "more.txt"
        f.write_text("B again, changed\n")
        cli_run(b, "ingest", str(f), "--doc", "b/only")
    else:
        assert ref in json.loads(cli_run(b, "doctor", "--json").output)["fixed"]
    assert git(b, "for-each-ref", "refs/provenance/incoming/") == ""
    assert "its writer is gone" in (b / "provenance-repairs.log").read_text()
    pulled, _ = sync(b)  # and the pull itself still works
    assert pulled.action == "merge"
