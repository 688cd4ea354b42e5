"""Fixtures shared by the test modules."""

import pytest
from click.testing import CliRunner

from provenance.cli import cli


@pytest.fixture
def run(request, monkeypatch):
    """run(store, *args, expect=0): the CLI on a store through CliRunner, as
    the module's USER (or a test reporter), checking the exit status."""
    monkeypatch.setenv("PROVENANCE_USER", getattr(request.module, "USER", "Test Reporter <reporter@example.org>"))
    monkeypatch.delenv("PROVENANCE_STORE", raising=False)

    def run(store, *args, expect=0):
        result = CliRunner().invoke(cli, ["--store", str(store), *args], catch_exceptions=False)
        assert result.exit_code == expect, (result.exit_code, result.output, result.stderr)
        return result

    return run
