"""Browser fixtures: Debian's chromium driven by Playwright, and a JupyterLab server per session.

No browser is downloaded: Playwright launches /usr/bin/chromium (`make test` installs it where
apt is available and the user is root). Without it, or without the playwright package, every
browser test is skipped with the reason shown in pytest's summary (`-ra`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = Path("/usr/bin/chromium")
# The machine's network is closed: nothing of chromium's own may try to reach it.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
LAB_START_TIMEOUT = 60.0


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} saknas (apt-get install chromium); webbläsartesterna hoppas över"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python-paketet playwright saknas (pip install -e '.[dev]')"
    return None


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    reason = _missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield chromium
        finally:
            chromium.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(proc: subprocess.Popen, url: str, log: Path) -> None:
    """Poll the server's status API until it answers (or the process has died)."""
    deadline = time.monotonic() + LAB_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab avslutades ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # a poll interval while waiting for the condition, not a sync
    raise TimeoutError(
        f"JupyterLab svarade inte inom {LAB_START_TIMEOUT:.0f} s:\n{log.read_text()}"
    )


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started and its kernels (one process group, ours)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):  # kernels may outlive the server
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def lab_project(tmp_path_factory, demo_data) -> Path:
    """A project copy (params, notebooks, demo data) for JupyterLab to open and change."""
    project = tmp_path_factory.mktemp("lab_project")
    shutil.copytree(ROOT / "params", project / "params")
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    shutil.copytree(demo_data / "raw", project / "data" / "raw")
    shutil.copytree(demo_data / "processed", project / "data" / "processed")
    return project


@pytest.fixture(scope="session")
def lab(lab_project, tmp_path_factory) -> Iterator[str]:
    """A JupyterLab server on a free local port with a token; yields its base URL with token.

    Its own config, data and runtime directories keep the user's settings out; the app is
    exposed to the page (`window.jupyterapp`) so that tests run commands, not menu clicks.
    """
    home = tmp_path_factory.mktemp("lab_home")
    token = secrets.token_hex(16)
    port = _free_port()
    env = os.environ | {
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "MPLCONFIGDIR": str(home / "matplotlib"),
        "UPPFOLJNING_HOME": str(lab_project),
    }
    env.pop("JUPYTER_DATA_DIR", None)
    # No "get notified about Jupyter news?" toast over the notebook (nor a fetch of the news)
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}', encoding="utf-8"
    )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={lab_project}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.terminals_enabled=False",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "jupyterlab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=lab_project,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_serving(proc, f"{base}/api/status?token={token}", log)
        yield f"{base}/lab/tree/{{path}}?token={token}"
    finally:
        _stop(proc)
