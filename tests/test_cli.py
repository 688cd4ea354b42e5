"""Every command through click's CliRunner, on real stores in temporary folders,
and the main job once through a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import cli

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
PDF = SAMPLES / "article-pdf-extract.txt"
WEB = SAMPLES / "article-web-capture.txt"


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / "store")


@pytest.fixture
def run(store, monkeypatch):
    monkeypatch.setenv("PROVENANCE_USER", "Test Reporter <reporter@example.org>")
    monkeypatch.delenv("PROVENANCE_STORE", raising=False)

    def run(*args, input=None, expect=0):
        result = CliRunner().invoke(cli, ["--store", store, *args], input=input, catch_exceptions=False)
        assert result.exit_code == expect, (result.exit_code, result.output, result.stderr)
        return result

    return run


def one_line_error(result, fragment):
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("provenance: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def git(store, *args):
    return subprocess.run(["git", "-C", store, *args], check=True, capture_output=True, text=True).stdout


def test_init_creates_a_bare_repository(run, store):
    result = run("init")
    assert "store ready" in result.output
    assert git(store, "rev-parse", "--is-bare-repository").strip() == "true"
    run("init")  # idempotent


def test_ingest_prints_one_line_per_version(run, store):
    result = run("ingest", str(PDF), str(WEB), "--doc", "al-monitor/tehran-moscow",
                 "--source", "https://www.al-monitor.com/pulse/originals/2019/02/russia-iran-israel-syria.html",
                 "--captured-at", "2019-02-04T10:00:00Z", "--note", "PDF and web captures", "--meta", "desk=world")
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("al-monitor/tehran-moscow v1  sha256:") and "new document" in lines[0]
    # the only content change: 9 headline words out, "banner" in
    assert lines[1].startswith("al-monitor/tehran-moscow v2  sha256:") and lines[1].endswith("+1 -9 words")


def test_ingest_trailers_and_dates_are_git_native(run, store):
    run("ingest", str(PDF), "--doc", "nda", "--captured-at", "2024-01-28T09:30:00+01:00", "--source", "https://example.org/nda")
    trailers = git(store, "log", "-1", "--format=%(trailers:only,unfold)")
    for key in ("Document: nda", "Version: 1", "Content-SHA256: ", "Text-SHA256: ", "Bytes: ", "Media-Type: text/plain",
                "Encoding: utf-8", "Source: https://example.org/nda", "Captured-At: 2024-01-28T09:30:00+01:00",
                "Ingested-By: Test Reporter <reporter@example.org>", "Tool: provenance "):
        assert key in trailers, key
    author_date = git(store, "log", "-1", "--format=%aI").strip()
    assert author_date == "2024-01-28T09:30:00+01:00"
    assert git(store, "log", "-1", "--format=%cI").strip() != author_date  # committer date is the ingest time


def test_ingest_same_content_is_seen_again(run):
    run("ingest", str(PDF), "--doc", "nda")
    result = run("ingest", str(PDF), "--doc", "nda")
    assert "seen again" in result.output
    log = json.loads(run("log", "nda", "--json").output)
    assert len(log) == 1 and len(log[0]["seen"]) == 1


def test_ingest_repeat_of_older_version(run):
    run("ingest", str(PDF), str(WEB), "--doc", "nda")
    result = run("ingest", str(PDF), "--doc", "nda")
    assert "v3" in result.output and "same content as v1" in result.output


def test_ingest_from_stdin(run):
    result = run("ingest", "-", "--doc", "memo", input=b"first draft\n")
    assert "memo v1" in result.output
    assert run("show", "memo").output == "first draft\n"


def test_docs_log_show(run):
    run("ingest", str(PDF), str(WEB), "--doc", "article", "--captured-at", "2019-02-04")
    run("ingest", "-", "--doc", "memo", input=b"hello\n")
    docs = run("docs").output
    assert "article" in docs and "2 versions" in docs and "memo" in docs
    docs_json = json.loads(run("docs", "--json").output)
    assert [d["document"] for d in docs_json] == ["article", "memo"]
    log = run("log", "article").output.strip().splitlines()
    assert log[0].startswith("article@2") and log[1].startswith("article@1")  # newest first
    log_json = json.loads(run("log", "article", "--json").output)
    assert [v["version"] for v in log_json] == [2, 1]
    assert run("show", "article@1").output == PDF.read_text(encoding="utf-8")
    assert run("show", "article").output == WEB.read_text(encoding="utf-8")
    assert run("show", "article@-1").output == PDF.read_text(encoding="utf-8")
    shown = json.loads(run("show", "article@2", "--json").output)
    assert shown["text"] == WEB.read_text(encoding="utf-8") and shown["version"] == 2


def test_show_raw_returns_the_exact_bytes(run, tmp_path):
    raw = "Caf\u00e9 cr\u00e8me, 10\u20ac\r\n".encode("cp1252")
    f = tmp_path / "legacy.txt"
    f.write_bytes(raw)
    run("ingest", str(f), "--doc", "legacy")
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "store"), "show", "legacy", "--raw"])
    assert result.stdout_bytes == raw
    assert run("show", "legacy").output.startswith("Caf\u00e9 cr\u00e8me")


def test_diff_two_stored_versions_json_contract(run):
    run("ingest", str(PDF), str(WEB), "--doc", "article")
    data = json.loads(run("diff", "article@1", "article", "--format", "json").output)
    old, new = PDF.read_text(encoding="utf-8"), WEB.read_text(encoding="utf-8")
    assert data["old"]["version"] == 1 and data["new"]["version"] == 2
    assert data["stats"]["content_changes"] == 1
    for c in data["changes"]:
        assert c["old_text"] == old[c["old_start"]:c["old_end"]]
        assert c["new_text"] == new[c["new_start"]:c["new_end"]]


def test_diff_two_files_without_a_store(run, store):
    result = run("diff", str(PDF), str(WEB), "--format", "json")
    assert json.loads(result.output)["stats"]["content_changes"] == 1
    assert not Path(store).exists()


def test_diff_run_in_process_leaves_the_caller_its_caches(run):
    """The command lets go of the dictionaries and key caches after its one
    comparison, and only for it: a caller running it in its own process
    (CliRunner, cli.main) compares on with its caches kept."""
    from provenance.diff import pipeline

    assert pipeline.ONE_COMPARISON is False
    run("diff", str(PDF), str(WEB), "--format", "json")
    assert pipeline.ONE_COMPARISON is False


def test_a_keyer_that_forgets_gives_the_keys_and_keeps_none():
    """A process that compares once (ONE_COMPARISON) keys each distinct
    literal once, through a Keyer that keeps no cache; its comparison is
    the one a caching Keyer gives."""
    from provenance import tokens as tk
    from provenance.diff import compare, pipeline

    literals = ["Caf\u00e9", "\u201cna\u00efve\u201d", "--", "\ufb01ne", "Caf\u00e9", "plain"]
    forgetful = tk.make_keyer(forget=True)
    assert forgetful.forget and forgetful.function is tk.typography_key and forgetful.cache is not tk.make_keyer().cache
    assert forgetful.keys(literals) == tk.Keyer(tk.typography_key).keys(literals) == list(map(tk.typography_key, literals))
    assert forgetful.cache == {}
    old, new = PDF.read_text(encoding="utf-8"), WEB.read_text(encoding="utf-8")
    expected = compare(old, new).to_dict()
    pipeline.ONE_COMPARISON = True
    try:
        assert compare(old, new).to_dict() == expected
    finally:
        pipeline.ONE_COMPARISON = False


TEXT = "caf\u00e9 d\u00e9j\u00e0 vu, \u201cna\u00efve\u201d\n"


@pytest.mark.parametrize("in_thread", [False, True])
@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_diff_of_files_gives_each_side_the_hashes_of_its_bytes_and_of_its_text(run, tmp_path, codec, in_thread,
                                                                                monkeypatch):
    import hashlib

    import provenance.ingest

    # (large files are hashed in a second thread while they are decoded)
    monkeypatch.setattr(provenance.ingest, "HASH_IN_THREAD_MIN_BYTES", 0 if in_thread else 1 << 40)
    text = TEXT if codec != "cp1252" else TEXT.replace("\u201c", '"').replace("\u201d", '"')
    data = text.encode(codec)

    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_bytes(data)
    new.write_bytes(b"other\n")
    side = json.loads(run("diff", str(old), str(new), "--format", "json").output)["old"]
    assert side["content_sha256"] == hashlib.sha256(data).hexdigest()
    assert side["text_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert (side["content_sha256"] == side["text_sha256"]) is (data == text.encode("utf-8"))


def test_diff_html_report_to_file(run, tmp_path):
    out = tmp_path / "report.html"
    result = run("diff", str(PDF), str(WEB), "-o", str(out))
    assert str(out) in result.output
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "banner" in html


def test_diff_text_marks_changes(run):
    text = run("diff", str(PDF), str(WEB), "--format", "text").output
    assert "{+banner+}" in text


def test_diff_exit_code(run, tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text("It's a fine day.\n")
    b.write_text("It\u2019s a \ufb01ne\nday.\n")  # formatting only
    c.write_text("It's a grim day.\n")
    run("diff", str(a), str(b), "--exit-code", expect=0)
    run("diff", str(a), str(c), "--exit-code", expect=1)
    run("diff", str(a), str(c), expect=0)


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["show", "nope"], "unknown document"),
        (["show", "article@7"], "no version 7"),
        (["show", "article@x"], "bad version"),
        (["ingest", "missing.txt", "--doc", "a"], "no such file"),
        (["ingest", "{pdf}", "--doc", "../etc"], "document id"),
        (["ingest", "{pdf}", "--doc", "/abs"], "document id"),
        (["ingest", "{pdf}", "--doc", "a\x07b"], "document id"),
        (["ingest", "{pdf}", "--doc", "a", "--captured-at", "yesterday"], "ISO-8601"),
        (["ingest", "{pdf}", "--doc", "a", "--meta", "novalue"], "KEY=VALUE"),
        (["diff", "nope", "{pdf}"], "nope"),
        (["diff", "{pdf}"], "Missing argument"),
        (["frobnicate"], "No such command"),
    ],
)
def test_errors_are_one_line_with_status_2(run, store, args, fragment):
    run("ingest", str(PDF), "--doc", "article")
    args = [a.replace("{pdf}", str(PDF)) for a in args]
    result = CliRunner().invoke(cli, ["--store", store, *args])
    one_line_error(result, fragment)


def test_undecodable_input_is_rejected_and_store_untouched(run, store, tmp_path):
    run("ingest", str(PDF), "--doc", "article")
    before = git(store, "rev-parse", "main")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x01binary")
    result = CliRunner().invoke(cli, ["--store", store, "ingest", str(WEB), str(pdf), "--doc", "article"])
    one_line_error(result, "PDF")
    assert git(store, "rev-parse", "main") == before  # nothing half-written


def test_verify(run, store):
    run("ingest", str(PDF), str(WEB), "--doc", "article")
    result = run("verify")
    assert "checked 2 versions" in result.output and "all hashes match" in result.output
    data = json.loads(run("verify", "--json").output)
    assert data["problems"] == []


def test_store_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_STORE", str(tmp_path / "envstore"))
    monkeypatch.setenv("PROVENANCE_USER", "T <t@example.org>")
    result = CliRunner().invoke(cli, ["ingest", str(PDF), "--doc", "x"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "envstore" / "HEAD").exists()


def test_store_option_after_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_USER", "T <t@example.org>")
    result = CliRunner().invoke(cli, ["init", "--store", str(tmp_path / "s2")])
    assert result.exit_code == 0
    assert (tmp_path / "s2" / "HEAD").exists()


def _env(tmp_path):
    env = dict(os.environ, PROVENANCE_USER="Sub Process <sp@example.org>")
    env.pop("PROVENANCE_STORE", None)
    return env


def test_main_job_through_a_real_subprocess(tmp_path):
    store = str(tmp_path / "store")
    env = _env(tmp_path)
    cmd = [sys.executable, "-m", "provenance.cli", "--store", store]
    out = subprocess.run([*cmd, "ingest", str(PDF), str(WEB), "--doc", "article"], env=env, capture_output=True, text=True, check=True)
    assert "article v2" in out.stdout
    report = tmp_path / "report.html"
    out = subprocess.run([*cmd, "diff", "article@1", "article@2", "-o", str(report)], env=env, capture_output=True, text=True, check=True)
    assert str(report) in out.stdout and report.exists()
    log = subprocess.run(["git", "-C", store, "log", "--format=%s%n%(trailers:key=Document,key=Version)"], capture_output=True, text=True, check=True).stdout
    assert "Document: article" in log and "Version: 2" in log


def test_a_diff_that_skips_the_teardown_still_writes_everything(tmp_path):
    # `diff` ends the process at once when its output is written: the output
    # must be whole, on a pipe and in a file, and the exit status right.
    cmd = [sys.executable, "-m", "provenance.cli", "diff", str(PDF), str(WEB)]
    long_old, long_new = tmp_path / "old.txt", tmp_path / "new.txt"
    long_old.write_text(PDF.read_text(encoding="utf-8") * 40, encoding="utf-8")
    long_new.write_text(WEB.read_text(encoding="utf-8") * 40, encoding="utf-8")
    out = subprocess.run([*cmd[:-2], str(long_old), str(long_new), "--format", "json"], capture_output=True, text=True,
                         env=_env(tmp_path))
    assert out.returncode == 0 and json.loads(out.stdout)["stats"]["content_changes"] > 0
    out = subprocess.run([*cmd, "--exit-code"], capture_output=True, text=True, env=_env(tmp_path))
    assert out.returncode == 1 and out.stdout.endswith("\n") and "banner" in out.stdout
    report = tmp_path / "r.json"
    out = subprocess.run([*cmd, "-o", str(report)], capture_output=True, text=True, env=_env(tmp_path))
    assert out.returncode == 0 and "json report written" in out.stdout
    assert json.loads(report.read_text(encoding="utf-8"))["new"]["label"] == str(WEB)
    head = subprocess.run(f"{' '.join(map(str, cmd))} | head -1", shell=True, capture_output=True, text=True)
    assert head.returncode == 0 and head.stdout.startswith("---") and "Traceback" not in head.stderr


def test_error_through_a_real_subprocess(tmp_path):
    out = subprocess.run([sys.executable, "-m", "provenance.cli", "--store", str(tmp_path / "s"), "show", "nothing"],
                         env=_env(tmp_path), capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("argv", [["--help"], ["diff", "{a}", "{b}", "--format", "json"], ["diff", "{a}", "{b}"]])
def test_help_and_file_diff_import_only_what_they_use(tmp_path, argv):
    """Start-up is most of a short diff's time: no GitPython, jinja2, URL
    capture or sync commands for a diff of two files; json only for JSON."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("one two\n")
    b.write_text("one three\n")
    argv = [x.replace("{a}", str(a)).replace("{b}", str(b)) for x in argv]
    code = ("import sys; from provenance.cli import cli\n"
            "try:\n    cli(%r)\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('git', 'jinja2', 'json', 'provenance.cli_sync', 'provenance.extract.capture')"
            " if m in sys.modules))") % (argv,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env(tmp_path))
    loaded = out.stdout.strip().splitlines()[-1]
    if argv[0] == "--help":  # (--help lists every command: the sync ones load for their one-line help)
        assert loaded == "['provenance.cli_sync']", out.stdout
    else:
        assert loaded == ("['json']" if "json" in argv else "[]"), out.stdout


def test_sync_commands_load_on_first_use(run):
    """remote, pull, push, sync and clone live in cli_sync.py, loaded when
    one of them is looked up; each has its help and its options."""
    for name in ("remote", "pull", "push", "sync", "clone"):
        result = run(name, "--help")
        assert f" {name} [OPTIONS]" in result.output, result.output
        assert "--json" in result.output


def test_verify_reports_a_corrupt_object(run, store):
    """A damaged object on disk (bit rot, a bad copy) is found and reported,
    with exit status 1, not a traceback."""
    run("ingest", str(PDF), "--doc", "article")
    path = git(store, "log", "-1", "--format=%(trailers:key=Path,valueonly)").strip()
    blob = git(store, "rev-parse", f"main:{path}/text.txt").strip()
    loose = Path(store) / "objects" / blob[:2] / blob[2:]
    if not loose.exists():  # packed: unpack it so there is a loose copy to damage
        subprocess.run(["git", "-C", store, "cat-file", "-p", blob], check=True, capture_output=True)
        pytest.skip("object is packed in this store")
    data = bytearray(loose.read_bytes())
    data[len(data) // 2] ^= 0xFF
    loose.chmod(0o644)
    loose.write_bytes(bytes(data))
    result = run("verify", expect=1)
    assert "MISMATCH" in result.output and "problem(s) found" in result.output
    assert "Traceback" not in result.output


def test_bad_input_does_not_create_a_store(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_USER", "T <t@example.org>")
    fresh = tmp_path / "fresh-store"
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00binary")
    for args in (["missing.txt", "--doc", "a"], [str(pdf), "--doc", "a"], [str(PDF), "--doc", "../a"]):
        result = CliRunner().invoke(cli, ["--store", str(fresh), "ingest", *args])
        assert result.exit_code == 2
        assert not fresh.exists()


@pytest.mark.parametrize("ident", ["<>", "Ada <>", "Ada <ada@x.org> <b@y>"])
def test_an_identity_without_an_email_is_refused(tmp_path, ident):
    f = tmp_path / "a.txt"
    f.write_text("text\n")
    r = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "ingest", str(f), "--doc", "d", "--by", ident])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "identity" in r.stderr
    assert not (tmp_path / "s" / "refs" / "heads" / "main").exists()  # nothing stored


def test_a_report_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """Rendering or writing that fails half-way (here: a full disk after the
    first piece) leaves the old report as it was and no temporary file."""
    import errno

    import provenance.render

    out = tmp_path / "report.json"
    out.write_text("the old report\n")

    def failing(cmp):
        yield '{"old": '
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(provenance.render, "iter_json", failing)
    result = CliRunner().invoke(cli, ["diff", str(PDF), str(WEB), "-o", str(out)])
    one_line_error(result, "No space left on device")
    assert out.read_text() == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    monkeypatch.undo()
    CliRunner().invoke(cli, ["diff", str(PDF), str(WEB), "-o", str(out)], catch_exceptions=False)
    assert json.loads(out.read_text())["stats"]["content_changes"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_report_to_a_pipe_is_written_into_it(tmp_path):
    """-o naming a pipe or device (/dev/stdout) writes into it; it is not
    replaced by a file."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    result = CliRunner().invoke(cli, ["diff", str(PDF), str(WEB), "-o", str(fifo), "--format", "json"])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert json.loads(got[0])["stats"]["content_changes"] == 1
    assert fifo.is_fifo()
