"""`make lab` starts JupyterLab for whoever runs it: as root (most containers), where JupyterLab
refuses to start unless given --allow-root, and as a user, who needs no flag."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.settings import ROOT


def dry_run(**variables: str) -> str:
    args = [f"{k}={v}" for k, v in variables.items()]
    r = subprocess.run(
        ["make", "--no-print-directory", "-n", "lab", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = [ln for ln in r.stdout.splitlines() if "jupyter lab" in ln]
    return line


def test_root_gets_allow_root_and_a_user_does_not():
    assert "--allow-root" in dry_run(LAB_USER_ID="0").split()
    assert "--allow-root" not in dry_run(LAB_USER_ID="1000").split()
    # by default the flag follows who runs make
    assert ("--allow-root" in dry_run().split()) == (os.getuid() == 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.usefixtures("checkout_make")
def test_make_lab_serves_jupyterlab_for_whoever_runs_the_tests(tmp_path: Path):
    """A real start (as root here when the tests run as root, as a user otherwise), stopped as
    soon as the server answers."""
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    lab = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "lab",
            f"LAB_ARGS=--no-browser --port={port} --ServerApp.port_retries=0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: make, jupyter and the server
    )
    answered = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=1) as r:
                    answered = r.read().decode()
                break
            except OSError:
                time.sleep(0.3)
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)
        output = lab.communicate(timeout=30)[0]
    if answered is None:
        pytest.fail(f"make lab exited ({lab.returncode}) or never answered:\n{output[-2000:]}")
    assert '"version"' in answered
