"""Everyday comforts: `provenance open` and `diff --open` (a real process,
with $BROWSER a script that records what it was given), shell completion of
document ids and versions through click's completion machinery on a real
store, and a real example in every command's --help."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import urllib.parse

import click
import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner

from provenance.cli import cli

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
PDF = SAMPLES / "article-pdf-extract.txt"
WEB = SAMPLES / "article-web-capture.txt"
EXE = Path(sys.executable).parent / "provenance"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two documents: acme/terms with three versions, acme/privacy with one."""
    tmp = tmp_path_factory.mktemp("browse")
    path = tmp / "store"
    env = {**os.environ, "PROVENANCE_USER": "Test Reporter <reporter@example.org>"}
    third = tmp / "third.txt"
    third.write_text(WEB.read_text(encoding="utf-8").replace("Jerusalem", "Haifa"), encoding="utf-8")
    for args in (["--doc", "acme/terms", str(PDF), str(WEB), str(third)], ["--doc", "acme/privacy", str(PDF)],
                 ["--doc", "zeta notes", str(WEB)]):
        subprocess.run([str(EXE), "--store", str(path), "ingest", *args], check=True, capture_output=True, env=env)
    return path


@pytest.fixture
def browser(tmp_path):
    """$BROWSER: a script that records the URL it is asked to open."""
    record = tmp_path / "opened.txt"
    script = tmp_path / "record-browser"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {shlex.quote(str(record))}\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(BROWSER=str(script), TMPDIR=str(tmp_path / "tmp"), PROVENANCE_USER="Test <t@example.org>")
    (tmp_path / "tmp").mkdir()

    def run(*args, expect=0):
        done = subprocess.run([str(EXE), *args], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == expect, (done.returncode, done.stdout, done.stderr)
        opened = record.read_text().splitlines() if record.exists() else []
        return done, opened

    return run


def test_open_shows_the_latest_version_against_the_one_before(store, browser):
    done, opened = browser("--store", str(store), "open", "acme/terms")
    assert len(opened) == 1 and opened[0].startswith("file:///")
    path = Path(urllib.parse.unquote(urllib.parse.urlsplit(opened[0]).path))
    assert path.is_file() and f"opened {path}" in done.stdout
    page = path.read_text(encoding="utf-8")
    assert "acme/terms: v2 → v3" in page and '<body data-view="inline">' in page
    assert "Haifa" in page  # the change from v2 to v3


def test_open_a_chosen_pair_in_the_side_by_side_view(store, browser, tmp_path):
    out = tmp_path / "pair.html"
    done, opened = browser("--store", str(store), "open", "acme/terms@1", "acme/terms@3", "--view", "side-by-side",
                           "-o", str(out))
    assert opened == [out.resolve().as_uri()]
    page = out.read_text(encoding="utf-8")
    assert "acme/terms: v1 → v3" in page and '<body data-view="side-by-side">' in page


def test_open_says_clearly_when_there_is_nothing_to_compare(store, browser):
    done, opened = browser("--store", str(store), "open", "acme/privacy", expect=2)
    assert opened == [] and done.stderr.count("\n") == 1
    assert "first version" in done.stderr and "Traceback" not in done.stderr
    done, opened = browser("--store", str(store), "open", "no/such", expect=2)
    assert opened == [] and "unknown document" in done.stderr


def test_diff_open_writes_the_report_and_opens_it(browser, tmp_path):
    done, opened = browser("diff", str(PDF), str(WEB), "--open")
    assert len(opened) == 1
    path = Path(urllib.parse.unquote(urllib.parse.urlsplit(opened[0]).path))
    assert path.parent.parent == tmp_path / "tmp"  # the temporary directory, as $TMPDIR says
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "html report written to" in done.stdout
    done, opened = browser("diff", str(PDF), str(WEB), "--open", "--format", "json", expect=2)
    assert len(opened) == 1 and "--open shows an HTML report" in done.stderr


# Completion --------------------------------------------------------------------


def completions(args: list[str], incomplete: str) -> list[str]:
    comp = ShellComplete(cli, {}, "provenance", "_PROVENANCE_COMPLETE")
    return [item.value for item in comp.get_completions(args, incomplete)]


def test_document_ids_complete_from_the_store(store):
    assert completions(["--store", str(store), "show"], "acme/") == ["acme/privacy", "acme/terms"]
    assert completions(["--store", str(store), "show"], "") == ["acme/privacy", "acme/terms", "zeta notes"]
    assert completions(["--store", str(store), "log"], "ac") == ["acme/privacy", "acme/terms"]
    assert completions(["--store", str(store), "diff", "acme/terms@1"], "acme/t") == ["acme/terms"]
    assert completions(["--store", str(store), "open"], "z") == ["zeta notes"]


def test_versions_complete_after_the_at_sign(store):
    assert completions(["--store", str(store), "open"], "acme/terms@") == [
        "acme/terms@3", "acme/terms@2", "acme/terms@1", "acme/terms@-1"]
    assert completions(["--store", str(store), "diff"], "acme/terms@2") == ["acme/terms@2"]
    assert completions(["--store", str(store), "show"], "acme/privacy@") == ["acme/privacy@1"]
    assert completions(["--store", str(store), "show"], "nothing@") == []


def test_completion_without_a_store_offers_nothing_and_never_fails(tmp_path, monkeypatch):
    monkeypatch.delenv("PROVENANCE_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert completions(["show"], "acme") == []
    assert completions(["--store", str(tmp_path / "missing"), "show"], "acme@") == []
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "HEAD").write_text("not a repository")
    assert completions(["--store", str(tmp_path / "junk"), "log"], "") == []
    # a file argument of diff still completes as a file
    comp = ShellComplete(cli, {}, "provenance", "_PROVENANCE_COMPLETE")
    (item,) = comp.get_completions(["diff"], "no")
    assert item.type == "file"


@pytest.mark.parametrize("shell, expect", [
    ("bash", "plain,acme/terms"),
    ("zsh", "plain\nacme/terms\n_"),
    ("fish", "plain,acme/terms"),
])
def test_completion_through_the_shell_protocol(store, shell, expect):
    """What the generated shell scripts call: the command itself, with click's
    environment variables (COMP_WORDS/COMP_CWORD)."""
    env = {**os.environ, "_PROVENANCE_COMPLETE": f"{shell}_complete", "PROVENANCE_STORE": str(store),
           "COMP_WORDS": "provenance show acme/te", "COMP_CWORD": "acme/te" if shell == "fish" else "2"}
    done = subprocess.run([str(EXE)], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stderr == ""
    assert expect in done.stdout
    source = subprocess.run([str(EXE)], capture_output=True, text=True,
                            env={**os.environ, "_PROVENANCE_COMPLETE": f"{shell}_source"})
    assert source.returncode == 0 and "_PROVENANCE_COMPLETE" in source.stdout


# --help ----------------------------------------------------------------------


def _commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_help_shows_real_examples(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    examples = [line.strip() for line in result.output.splitlines() if line.startswith("  ") and
                line.strip().startswith("provenance ")]
    assert examples, f"`provenance {name} --help` shows no example"
    for line in examples:
        # Each example parses as this command's own arguments and options.
        words = shlex.split(line.split("  #")[0].split(" | ")[0].split(" > ")[0])[1:]
        if words[0] == "--store":  # the one option before the command
            words = words[2:]
        assert words[0] == name, line
        ctx = cli.make_context("provenance", [], resilient_parsing=True)
        try:
            cli.commands[name].make_context(name, words[1:], parent=ctx)
        except click.UsageError as exc:  # an unknown option, a missing argument...
            pytest.fail(f"{line!r}: {exc.format_message()}")
