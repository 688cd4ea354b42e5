"""Fixtures shared by the test modules."""

import shutil
import subprocess

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


@pytest.fixture
def ssh_signing(tmp_path, monkeypatch):
    """A real SSH signing key in a global git config (GIT_CONFIG_GLOBAL),
    with an allowed-signers file that lets git call its signatures good."""
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(key)], check=True)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"reporter@example.org {(tmp_path / 'key.pub').read_text()}")
    config = tmp_path / "gitconfig"
    config.write_text(f"[user]\n\tname = Test Reporter\n\temail = reporter@example.org\n\tsigningkey = {key}.pub\n"
                      f"[gpg]\n\tformat = ssh\n[gpg \"ssh\"]\n\tallowedSignersFile = {allowed}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    return key
