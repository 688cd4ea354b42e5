"""Tamper evidence (issue #13) through the command line, on real stores:
every rewrite of a store is reported by `verify`, naming document, version
and commit, with the local caches deleted as well (they are never evidence)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest



def git(store, *args, input=None):
    return subprocess.run(["git", "-C", str(store), *args], check=True, capture_output=True,
                          input=input, text=True).stdout


def make_store(run, tmp_path, name="store", texts=("first text", "second text", "third text")):
    store = tmp_path / name
    for i, text in enumerate(texts):
        f = tmp_path / f"{name}-{i}.txt"
        f.write_text(text + "\n")
        run(store, "ingest", str(f), "--doc", "acme/terms", "--source", f"https://acme.example/{i}")
    return store


def drop_caches(store: Path):
    shutil.rmtree(store / "provenance-index", ignore_errors=True)


def drop_reflog(store: Path):
    shutil.rmtree(store / "logs", ignore_errors=True)


def checkpoint_of(result) -> str:
    line = [l for l in result.output.splitlines() if l.startswith("checkpoint ")][-1]
    return line.split()[1]


def test_verify_records_a_checkpoint_once_per_tip(run, tmp_path):
    store = make_store(run, tmp_path)
    first = run(store, "verify")
    tip = git(store, "rev-parse", "main").strip()
    assert checkpoint_of(first) == tip
    run(store, "verify")
    refs = git(store, "for-each-ref", "--format=%(*objectname)", "refs/provenance/checkpoints/").split()
    assert refs == [tip]
    data = json.loads(run(store, "verify", "--json").output)
    assert data["checkpoint"]["commit"] == tip and data["ok"]


@pytest.mark.parametrize("keep_reflog", [True, False])
def test_a_deleted_last_version_is_reported(run, tmp_path, keep_reflog):
    store = make_store(run, tmp_path)
    run(store, "verify")  # a checkpoint at v3
    gone = git(store, "rev-parse", "main").strip()
    git(store, "update-ref", "refs/heads/main", "main~1")
    drop_caches(store)
    if not keep_reflog:
        drop_reflog(store)
    out = run(store, "verify", expect=1).output
    assert f"acme/terms v3 (commit {gone[:12]})" in out
    assert "no longer in main's history" in out


def test_a_reset_without_any_checkpoint_shows_in_the_reflog(run, tmp_path):
    store = make_store(run, tmp_path)
    gone = git(store, "rev-parse", "main").strip()
    git(store, "update-ref", "refs/heads/main", "main~1")
    drop_caches(store)
    out = run(store, "verify", expect=1).output
    assert f"acme/terms v3 (commit {gone[:12]})" in out
    assert "moved backwards or rewritten" in out


@pytest.mark.parametrize("keep_reflog", [True, False])
def test_a_consistent_rewrite_is_reported(run, tmp_path, keep_reflog):
    """Text, meta.json, hashes and trailers all rewritten together: every
    check of the objects passes, only the record of what was verified shows it."""
    store = make_store(run, tmp_path)
    run(store, "verify")
    forged = make_store(run, tmp_path, "forged", texts=("first text", "second text, improved", "third text"))
    old_v2 = git(store, "rev-parse", "main~1").strip()
    git(store, "fetch", "-q", "--no-write-fetch-head", str(forged), "+main:refs/heads/main")
    drop_caches(store)
    if not keep_reflog:
        drop_reflog(store)
    out = run(store, "verify", expect=1).output
    assert f"acme/terms v2 (commit {old_v2[:12]})" in out
    assert "no longer in main's history" in out
    assert "index folder" not in out and "rm " not in out  # no advice that erases anything


def test_a_rewritten_trailer_is_reported_without_cache_or_reflog(run, tmp_path):
    store = make_store(run, tmp_path)
    body = git(store, "cat-file", "commit", "main")
    forged = body.replace("Source: https://acme.example/2", "Source: https://evil.example/")
    forged = forged.replace("Ingested-By: Test Reporter", "Ingested-By: Someone Else")
    assert forged != body
    sha = git(store, "hash-object", "-t", "commit", "-w", "--stdin", input=forged).strip()
    git(store, "update-ref", "refs/heads/main", sha)
    drop_caches(store)
    drop_reflog(store)
    out = run(store, "verify", expect=1).output
    assert f"acme/terms v3: trailer Source of commit {sha[:12]} is 'https://evil.example/'" in out
    assert f"acme/terms v3: trailer Ingested-By of commit {sha[:12]}" in out


def test_a_changed_blob_is_reported(run, tmp_path):
    store = make_store(run, tmp_path)
    path = git(store, "log", "-1", "--format=%(trailers:key=Path,valueonly)", "main").strip()
    # Replace text.txt in a new commit on top: stored files must never change.
    blob = git(store, "hash-object", "-w", "--stdin", input="forged text\n").strip()
    tree = git(store, "rev-parse", "main^{tree}").strip()
    idx = tmp_path / "index"
    env_git = ["git", "-C", str(store)]
    subprocess.run([*env_git, "read-tree", tree], check=True, env={"GIT_INDEX_FILE": str(idx), "PATH": "/usr/bin:/bin"})
    subprocess.run([*env_git, "update-index", "--cacheinfo", f"100644,{blob},{path}/text.txt"], check=True,
                   env={"GIT_INDEX_FILE": str(idx), "PATH": "/usr/bin:/bin"})
    new_tree = subprocess.run([*env_git, "write-tree"], check=True, capture_output=True, text=True,
                              env={"GIT_INDEX_FILE": str(idx), "PATH": "/usr/bin:/bin"}).stdout.strip()
    commit = git(store, "commit-tree", new_tree, "-p", "main", "-m", "tidy up").strip()
    git(store, "update-ref", "refs/heads/main", commit)
    drop_caches(store)
    out = run(store, "verify", expect=1).output
    assert "acme/terms v3" in out and "text.txt" in out


def test_since_checkpoint_proves_the_store_only_grew(run, tmp_path):
    store = make_store(run, tmp_path)
    cp = checkpoint_of(run(store, "verify"))
    more = tmp_path / "more.txt"
    more.write_text("fourth text\n")
    run(store, "ingest", str(more), "--doc", "acme/terms")
    out = run(store, "verify", "--since-checkpoint", cp).output
    assert "only grew (1 versions added)" in out
    # Someone deletes every checkpoint ref and the reflog, then rewinds main:
    # the exported checkpoint id alone still shows it.
    for ref in git(store, "for-each-ref", "--format=%(refname)", "refs/provenance/checkpoints/").split():
        git(store, "update-ref", "-d", ref)
    git(store, "update-ref", "refs/heads/main", "main~2")
    drop_caches(store)
    drop_reflog(store)
    out = run(store, "verify", "--since-checkpoint", cp, expect=1).output
    assert "acme/terms v3" in out


def test_an_unknown_checkpoint_is_a_one_line_error(run, tmp_path):
    store = make_store(run, tmp_path)
    result = run(store, "verify", "--since-checkpoint", "deadbeef", expect=2)
    assert len(result.stderr.strip().splitlines()) == 1 and "unknown checkpoint" in result.stderr


def test_a_stale_cache_is_rebuilt_never_the_evidence(run, tmp_path):
    store = make_store(run, tmp_path)
    for shard in (store / "provenance-index").iterdir():  # the shards: "<commit> <version folder>" lines
        if shard.is_file() and shard.name != "tips":
            shard.write_text("".join(f"{'0' * 40} {line.split(' ', 1)[1]}\n" for line in shard.read_text().splitlines()))
    out = run(store, "verify").output  # a cache is no evidence: rebuilt, reported, not a failure
    assert "cache" in out and "rebuilt" in out
    assert "index folder" not in out and "rm " not in out  # no advice that erases anything
    assert "all hashes match" in out
    again = run(store, "verify").output  # rebuilt: the next run finds nothing stale
    assert "rebuilt" not in again and "all hashes match" in again


def test_signed_checkpoint_is_verified(run, tmp_path, ssh_signing):
    store = make_store(run, tmp_path)
    out = run(store, "verify", "--sign").output
    assert "1/1 signed checkpoints good" not in out  # reported from the next run on
    out = run(store, "verify").output
    assert "1/1 signed checkpoints good" in out
    data = json.loads(run(store, "verify", "--json").output)
    assert data["signatures"]["checkpoints_good"] == 1


def test_a_forged_signed_checkpoint_is_reported(run, tmp_path, ssh_signing):
    store = make_store(run, tmp_path)
    run(store, "verify", "--sign")
    ref = git(store, "for-each-ref", "--format=%(refname)", "refs/provenance/checkpoints/").split()[0]
    tag = git(store, "cat-file", "tag", ref)
    forged = tag.replace("all hashes match", "all hashes matched")
    sha = git(store, "hash-object", "-t", "tag", "-w", "--stdin", input=forged).strip()
    git(store, "update-ref", ref, sha)
    out = run(store, "verify", expect=1).output
    assert "bad or unverifiable signature" in out


def test_a_damaged_store_says_so_and_names_verify(run, tmp_path):
    store = make_store(run, tmp_path)
    for obj in store.glob("objects/??/*"):  # every loose object overwritten: the store is damaged
        obj.chmod(0o644)
        obj.write_bytes(b"garbage")
    for pack in store.glob("objects/pack/*.pack"):
        pack.chmod(0o644)
        data = bytearray(pack.read_bytes())
        data[20:-20] = bytes(b ^ 0x55 for b in data[20:-20])
        pack.write_bytes(bytes(data))
    r = run(store, "show", "acme/terms", expect=2)
    assert "damaged" in r.stderr and "provenance verify" in r.stderr and r.stderr.count("\n") == 1
    assert "Traceback" not in r.output


def test_doctor_fixes_what_a_crash_left_and_verify_names_leftovers(run, tmp_path):
    store = make_store(run, tmp_path)
    lock = store / "refs" / "heads" / "main.lock"
    lock.write_text("")
    old = __import__("time").time() - 7200
    __import__("os").utime(lock, (old, old))
    young = store / "objects" / "pack" / "tmp_pack_recent"
    young.write_bytes(b"x")
    with open(young, "rb"):  # a live process is writing it: never removed
        out = run(store, "verify").output
        assert "leftover refs/heads/main.lock" in out and "leftover objects/pack/tmp_pack_recent" in out
        out = run(store, "doctor").output
    assert "fixed: removed refs/heads/main.lock" in out
    assert "left: objects/pack/tmp_pack_recent (" in out and "store verified" in out
    assert not lock.exists() and young.exists()
    assert "removed main.lock" in (store / "provenance-repairs.log").read_text()


# -- signed ingest commits


def _commits(store) -> list[str]:
    return git(store, "rev-list", "--reverse", "main").split()


def test_ingest_sign_signs_every_commit_with_content_unchanged(run, tmp_path, ssh_signing):
    from provenance.signing import unsigned_form

    store = tmp_path / "store"
    files = []
    for i, text in enumerate(["first text", "second text", "second text"]):  # the third is seen again
        files.append(tmp_path / f"v{i}.txt")
        files[-1].write_text(text + "\n")
    run(store, "ingest", *map(str, files), "--doc", "acme/terms", "--sign", "--note", "signed batch")
    commits = _commits(store)
    assert len(commits) == 3
    for i, sha in enumerate(commits):
        raw = git(store, "cat-file", "commit", sha)
        assert "\ngpgsig -----BEGIN SSH SIGNATURE-----" in raw
        subprocess.run(["git", "-C", str(store), "verify-commit", sha], check=True, capture_output=True)
        # Apart from the signature, the commit is an ordinary ingest commit on
        # the previous signed one (sign_chain checks it byte for byte).
        head = unsigned_form(raw.encode()).decode().split("\n\n")[0].split("\n")
        assert [line.split(" ")[0] for line in head] == ["tree"] + (["parent"] if i else []) + ["author", "committer"]
        assert head[1] == f"parent {commits[i - 1]}" if i else True
        assert head[-1].startswith("committer Test Reporter <reporter@example.org> ")
    data = json.loads(run(store, "verify", "--signatures", "--json").output)
    assert data["ok"] and data["signatures"]["commit_counts"] == {"good": 3, "bad": 0, "unknown key": 0, "unsigned": 0}
    assert [c["commit"] for c in data["signatures"]["commits"]] == commits
    assert {c["signer"] for c in data["signatures"]["commits"]} == {"reporter@example.org"}
    out = run(store, "verify", "--signatures").output
    assert f"signature good: Ingest acme/terms v1 (commit {commits[0][:12]})" in out
    assert "signatures of commits: 3 good, 0 bad, 0 unknown key, 0 unsigned" in out


def test_the_store_setting_signs_bulk_ingest_and_reextract(run, tmp_path, ssh_signing):
    store = tmp_path / "store"
    run(store, "init")
    f = tmp_path / "plain.txt"
    f.write_text("an unsigned first version\n")
    run(store, "ingest", str(f), "--doc", "acme/terms")
    git(store, "config", "provenance.sign", "true")
    crawl = tmp_path / "crawl"
    (crawl / "acme").mkdir(parents=True)
    (crawl / "acme" / "terms.txt").write_text("a second version\n")
    (crawl / "acme" / "privacy.html").write_text("<html><body><main><p>Privacy.</p></main></body></html>")
    run(store, "ingest", "--doc-from-path", str(crawl))
    run(store, "reextract", "acme/privacy", "--whole-page")
    data = json.loads(run(store, "verify", "--signatures", "--json").output)
    statuses = [(c["subject"], c["status"]) for c in data["signatures"]["commits"]]
    assert statuses[0] == ("Ingest acme/terms v1", "unsigned")
    assert all(s == "good" for _, s in statuses[1:]) and len(statuses) == 4
    assert statuses[-1][0].startswith("Re-extract acme/privacy v1")
    # Without a key git can check, the signatures are "unknown key", never "unsigned" or "good".
    config = Path(__import__("os").environ["GIT_CONFIG_GLOBAL"])
    config.write_text(config.read_text().replace("allowedSignersFile", "allowedSignersFileOff"))
    data = json.loads(run(store, "verify", "--signatures", "--json").output)
    assert data["ok"] and data["signatures"]["commit_counts"] == {"good": 0, "bad": 0, "unknown key": 3, "unsigned": 1}


def test_a_tampered_signed_commit_is_reported_as_bad(run, tmp_path, ssh_signing):
    store = make_store(run, tmp_path)
    git(store, "config", "provenance.sign", "true")
    more = tmp_path / "more.txt"
    more.write_text("fourth text\n")
    run(store, "ingest", str(more), "--doc", "acme/terms", "--source", "https://acme.example/3")
    body = git(store, "cat-file", "commit", "main")
    assert "gpgsig" in body
    forged = body.replace("Source: https://acme.example/3", "Source: https://evil.example/")
    sha = git(store, "hash-object", "-t", "commit", "-w", "--stdin", input=forged).strip()
    git(store, "update-ref", "refs/heads/main", sha)
    drop_caches(store)
    drop_reflog(store)
    out = run(store, "verify", "--signatures", expect=1).output
    assert f"MISMATCH Ingest acme/terms v4 (commit {sha[:12]}): bad signature" in out
    assert "signatures of commits: 0 good, 1 bad, 0 unknown key, 3 unsigned" in out


def test_signing_without_a_usable_key_is_a_one_line_error_and_moves_nothing(run, tmp_path, ssh_signing):
    store = make_store(run, tmp_path)
    tip = git(store, "rev-parse", "main")
    config = Path(__import__("os").environ["GIT_CONFIG_GLOBAL"])
    config.write_text(config.read_text().replace(f"signingkey = {ssh_signing}.pub", f"signingkey = {tmp_path}/nokey.pub"))
    more = tmp_path / "more.txt"
    more.write_text("fourth text\n")
    objects = git(store, "count-objects", "-v")
    r = run(store, "ingest", str(more), "--doc", "acme/terms", "--sign", expect=2)
    assert r.stderr.count("\n") == 1 and "cannot sign" in r.stderr and "does not exist" in r.stderr
    assert "Traceback" not in r.output
    assert git(store, "rev-parse", "main") == tip and git(store, "count-objects", "-v") == objects
    # A key git cannot use (here: not a key at all) fails when git signs: main unmoved all the same.
    (tmp_path / "nokey.pub").write_text("not a key\n")
    r = run(store, "ingest", str(more), "--doc", "acme/terms", "--sign", expect=2)
    assert r.stderr.count("\n") == 1 and "cannot sign" in r.stderr and "Traceback" not in r.output
    assert git(store, "rev-parse", "main") == tip
    assert not git(store, "for-each-ref", "refs/provenance/incoming/")


# -- what a killed writer leaves, cleaned by the next one


def _dead_process_name(prefix: str) -> str:
    """A name made by locks.owned_name in a process that has ended."""
    import sys

    out = subprocess.run([sys.executable, "-c", f"from provenance.locks import owned_name; print(owned_name({prefix!r}))"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return out


def _age(path: Path, seconds: float = 10) -> None:
    old = __import__("time").time() - seconds
    __import__("os").utime(path, (old, old))


def test_a_packed_refs_lock_left_by_a_killed_git_is_cleared_by_the_next_ingest(run, tmp_path):
    """git takes packed-refs.lock to delete any ref (the writer deletes its
    temporary ref after each add): one left by a killed `git update-ref -d`
    used to make each later add wait 5 s and stay behind."""
    store = make_store(run, tmp_path)
    more = tmp_path / "more.txt"
    more.write_text("fourth text\n")
    lock = store / "packed-refs.lock"
    lock.write_text("")  # new: too young for the check before the add, met when the temporary ref goes
    run(store, "ingest", str(more), "--doc", "acme/terms")
    assert not lock.exists()
    assert not git(store, "for-each-ref", "refs/provenance/incoming/")  # its temporary ref went too
    assert "removed packed-refs.lock" in (store / "provenance-repairs.log").read_text()


def test_leftovers_of_a_dead_writer_go_with_the_next_ingest_and_a_live_ones_stay(run, tmp_path):
    store = make_store(run, tmp_path)
    tip = git(store, "rev-parse", "main").strip()
    dead_ref = _dead_process_name("refs/provenance/incoming/")
    git(store, "update-ref", dead_ref, tip)
    live_ref = __import__("provenance.locks", fromlist=["owned_name"]).owned_name("refs/provenance/incoming/")
    git(store, "update-ref", live_ref, tip)  # (this process: alive)
    packs = store / "objects" / "pack"
    packs.mkdir(exist_ok=True)
    orphan, held = packs / "tmp_pack_orphan", packs / "tmp_pack_held"
    orphan.write_bytes(b"PACK")
    held.write_bytes(b"PACK")
    _age(orphan)
    _age(held)
    lock = store / "objects" / "provenance-maintenance.lock"
    lock.write_text(__import__("json").dumps({"pid": 2 ** 22 + 1, "host": __import__("socket").gethostname(),
                                             "start": "1", "boot": ""}))
    out = run(store, "verify").output
    assert f"leftover {dead_ref}" in out and "leftover objects/pack/tmp_pack_orphan" in out
    with open(held, "rb"):  # a live process has it open: never removed
        more = tmp_path / "more.txt"
        more.write_text("fourth text\n")
        run(store, "ingest", str(more), "--doc", "acme/terms")
        assert held.exists()
    refs = git(store, "for-each-ref", "--format=%(refname)", "refs/provenance/incoming/").split()
    assert refs == [live_ref]
    assert not orphan.exists() and not lock.exists()
    log = (store / "provenance-repairs.log").read_text()
    assert "took over provenance-maintenance.lock" in log and "tmp_pack_orphan" in log and dead_ref.split("/")[-1] in log


def test_a_killed_maintenance_never_leaves_a_lock_without_its_owner(tmp_path):
    """The lock is linked into place with its owner inside: killed at any
    moment, what is left names a dead owner and is taken over at once."""
    import signal
    import sys

    from provenance.locks import create_owned, owner_gone, read_owner

    lock = tmp_path / "provenance-maintenance.lock"
    code = ("import os, sys, signal; from pathlib import Path; from provenance.locks import create_owned\n"
            "assert create_owned(Path(sys.argv[1])); os.kill(os.getpid(), signal.SIGKILL)")
    proc = subprocess.run([sys.executable, "-c", code, str(lock)])
    assert proc.returncode == -signal.SIGKILL
    owner = read_owner(lock)
    assert owner is not None and owner_gone(owner)
    assert not create_owned(lock)  # (it exists: not created twice)
    assert sorted(p.name for p in tmp_path.iterdir()) == [lock.name]


@pytest.mark.parametrize("kind", ["seen again", "re-extraction"])
def test_a_rewritten_trailer_of_an_observation_or_a_reextraction_is_reported(run, tmp_path, kind):
    """Not only ingest commits: a "seen again" commit's trailers are held
    against its seen/ record, a re-extraction's against its meta.json."""
    store = make_store(run, tmp_path)
    if kind == "seen again":
        same = tmp_path / "same.txt"
        same.write_text("third text\n")
        run(store, "ingest", str(same), "--doc", "acme/terms", "--source", "https://acme.example/again")
        old, new = "Source: https://acme.example/again", "Source: https://evil.example/"
    else:
        page = tmp_path / "page.html"
        page.write_text("<html><body><nav>Home | About</nav><main><h1>Terms</h1><p>We may change these terms "
                        "at any time.</p></main><footer>Footer text</footer></body></html>")
        run(store, "ingest", str(page), "--doc", "acme/page")
        run(store, "reextract", "acme/page", "--whole-page", "--note", "all of it")
        old, new = "Extracted-By: Test Reporter", "Extracted-By: Someone Else"
    run(store, "verify")
    body = git(store, "cat-file", "commit", "main")
    assert old in body
    sha = git(store, "hash-object", "-t", "commit", "-w", "--stdin", input=body.replace(old, new)).strip()
    git(store, "update-ref", "refs/heads/main", sha)
    for ref in git(store, "for-each-ref", "--format=%(refname)", "refs/provenance/checkpoints/").split():
        git(store, "update-ref", "-d", ref)
    drop_caches(store)
    drop_reflog(store)
    out = run(store, "verify", expect=1).output
    label = "acme/terms v3 (seen again)" if kind == "seen again" else "acme/page v1 extraction 2"
    key = old.split(":")[0]
    assert f"MISMATCH {label}: trailer {key} of commit {sha[:12]}" in out


def test_signed_commits_take_the_identity_as_git_writes_it(run, tmp_path, ssh_signing):
    """git strips punctuation from the ends of a name ("Dr. Who." becomes
    "Dr. Who"): a signed ingest records the identity that way everywhere,
    so the signed commit is still the commit fast-import wrote."""
    store = tmp_path / "store"
    f = tmp_path / "v.txt"
    f.write_text("a text\n")
    run(store, "ingest", str(f), "--doc", "acme/terms", "--sign", "--by", '"Smith, John" <john@example.org>')
    f.write_text("a second text\n")
    run(store, "ingest", str(f), "--doc", "acme/terms", "--sign", "--by", "Dr. Who. <who@example.org>")
    assert git(store, "log", "--format=%an|%cn", "main").split() == ["Dr.", "Who|Dr.", "Who", "Smith,", "John|Smith,", "John"]
    data = json.loads(run(store, "log", "acme/terms", "--json").output)
    assert sorted(v["ingested_by"] for v in data) == ["Dr. Who <who@example.org>", "Smith, John <john@example.org>"]
    out = json.loads(run(store, "verify", "--signatures", "--json").output)
    assert out["ok"] and out["signatures"]["commit_counts"]["good"] == 2


@pytest.fixture
def gpg_signing(tmp_path, monkeypatch):
    import tempfile

    if shutil.which("gpg") is None or shutil.which("gpgconf") is None:
        pytest.skip("gpg is not installed")
    home = Path(tempfile.mkdtemp(prefix="gpg", dir="/tmp"))  # (short: gpg-agent's socket lives there)
    monkeypatch.setenv("GNUPGHOME", str(home))
    subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                    "Test Reporter <reporter@example.org>", "ed25519", "sign", "never"], check=True, capture_output=True)
    keys = subprocess.run(["gpg", "--list-keys", "--with-colons"], check=True, capture_output=True, text=True).stdout
    fpr = next(line.split(":")[9] for line in keys.splitlines() if line.startswith("fpr:"))
    config = tmp_path / "gitconfig"
    config.write_text(f"[user]\n\tname = Test Reporter\n\temail = reporter@example.org\n\tsigningkey = {fpr}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    yield fpr
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def test_a_gpg_key_signs_too(run, tmp_path, gpg_signing):
    store = make_store(run, tmp_path)
    git(store, "config", "provenance.sign", "true")
    more = tmp_path / "more.txt"
    more.write_text("fourth text\n")
    run(store, "ingest", str(more), "--doc", "acme/terms")
    assert "-----BEGIN PGP SIGNATURE-----" in git(store, "cat-file", "commit", "main")
    data = json.loads(run(store, "verify", "--signatures", "--json").output)
    assert data["ok"] and data["signatures"]["commit_counts"] == {"good": 1, "bad": 0, "unknown key": 0, "unsigned": 3}
    assert data["signatures"]["commits"][-1]["key"] == gpg_signing[-16:]
