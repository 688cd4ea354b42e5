"""benchmarks/stress.py at a size CI can run (issue #13 item 5 and 6): the
same suites as the full run (concurrent writers, SIGKILLs during ingest and
maintenance, hostile input), through the installed command, on fewer trials;
what the full run must show is asserted here too."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent / "benchmarks" / "stress.py"


@pytest.fixture
def stress(tmp_path, monkeypatch):
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    spec = importlib.util.spec_from_file_location("stress", HERE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "DATA", tmp_path / "stress")
    (tmp_path / "stress").mkdir()
    return module


def test_concurrent_writers_lose_nothing(stress):
    r = stress.suite_writers(2, 3)
    assert r["acknowledged"] == r["stored"] == 6 and r["lost"] == 0 and r["failed"] == 0
    assert r["verify_failures"] == 0


def test_kills_during_ingest_and_maintenance_never_corrupt_or_block(stress):
    r = stress.suite_kills(4, seed=3)
    assert r["ingest_kills"] == 3 and r["maintenance_kills"] == 1
    # (the next ingest's speed is the full run's to judge: no timed assertions here)
    assert r["corrupt"] == 0 and r["fresh_ingest_failures"] == 0 and r["verify_failures"] == 0, r["examples"]
    assert r["verify_silent_on_leftovers"] == 0 and r["leftovers_after_next_ingest"] == 0, r["examples"]
    assert r["final_verify_ok"]


def test_every_hostile_input_is_a_one_line_error_with_the_store_unchanged(stress):
    r = stress.suite_hostile()
    assert r["inputs"] >= 50
    assert r["one_line_errors"] == r["inputs"] and r["store_changed"] == 0, r["failures"]


def test_every_tamper_is_detected(stress):
    r = stress.suite_tamper()
    assert r["trials"] == len(stress.TAMPERS) >= 16
    assert r["detected"] == r["trials"], r["missed"]
