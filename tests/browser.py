"""Finding (and on CI installing) a Chromium for the browser tests.

Playwright's own browser download does not work on our machines (no access to
its download host), so the tests drive a system Chromium through Playwright's
`executable_path`:

    find_chromium()   path of chromium / chromium-browser / google-chrome on PATH;
                      on CI (CI=true) install Debian's `chromium` if none is there;
                      elsewhere None (the tests skip and say how to install)
    LAUNCH_ARGS       flags for a headless Chromium on a machine with no network
"""

from __future__ import annotations

import os
import shutil
import subprocess

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Without these Chromium tries to reach the network (component updates, field
# trials, sync, QUIC probes) and can hang or log errors on an offline machine.
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

INSTALL_HINT = (
    "no Chromium found on PATH (looked for " + ", ".join(CANDIDATES) + "); "
    "install one with `sudo apt-get install chromium` (Debian/Ubuntu) to run the browser tests"
)


class BrowserUnavailable(RuntimeError):
    """No browser, and this is CI, where the browser tests must run."""


def _on_path() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_chromium(install_on_ci: bool = True) -> str | None:
    """Path to a Chromium executable, or None when there is none and this is not CI.

    On CI a missing browser is installed with apt-get (as root) or is an
    error: the browser tests must not silently skip there.
    """
    path = _on_path()
    if path or not _is_ci() or not install_on_ci:
        return path
    if os.geteuid() != 0:
        raise BrowserUnavailable(
            "CI is set and no Chromium is on PATH; the browser tests need one. Not running as root, so it "
            "cannot be installed here: add `apt-get install -y chromium` to the CI image or run CI as root."
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise BrowserUnavailable(
                f"CI is set and no Chromium is on PATH; `{' '.join(command)}` failed "
                f"(exit {result.returncode}): {(result.stderr or result.stdout).strip()[-2000:]}"
            )
    path = _on_path()
    if not path:
        raise BrowserUnavailable("installed Debian's chromium package, but no chromium executable is on PATH")
    return path
