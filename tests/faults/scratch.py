"""A scratch checkout and the real processes run in it (see conftest.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import consistent, published

PYTHON = str(Path(sys.executable))
# each phase of a build and the log line that opens it (pipeline/warehouse/steps.py)
PHASES = {
    "stage": "  loading build ",
    "gate": "  validating with Great Expectations ...",
    "record": "  recording build information and Parquet exports ...",
    "before-switch": "  publishing build ",
    "after-switch": " unmapped lines -> ",
}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    reached: bool = True  # the phase was reached before the process ended by itself


@dataclass
class Scratch:
    repo: Path

    @property
    def raw(self) -> Path:
        return self.repo / "data" / "raw"

    @property
    def curated(self) -> Path:
        return self.repo / "data" / "curated"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "CHITIEU_WAREHOUSE"}
        return {**env, "PYTHONUNBUFFERED": "1"}  # log lines arrive as they are written

    def command(self, mode: str, validate: bool = False) -> list[str]:
        if mode == "make":
            return ["make", "build", *([] if validate else ["BUILD_FLAGS=--no-validate"])]
        return [PYTHON, "-m", "pipeline", "build", *([] if validate else ["--no-validate"])]

    def run(self, argv: list[str], timeout: float = 120, **kw) -> Run:
        r = subprocess.run(
            argv,
            cwd=self.repo,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=kw.pop("env", None) or self.env(),
            **kw,
        )
        return Run(r.returncode, r.stdout, r.stderr)

    def build(self, mode: str = "direct", validate: bool = False, **kw) -> Run:
        return self.run(self.command(mode, validate), **kw)

    def interrupt(self, argv: list[str], marker: str, sig: signal.Signals) -> Run:
        """Run ``argv`` in its own process group; when a line contains ``marker``, send ``sig``
        to the whole group (as a terminal's Ctrl-C does, or a kill of everything)."""
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(
                argv,
                cwd=self.repo,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=self.env(),
                start_new_session=True,
            )
            lines, reached = [], False
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if marker in line:
                    reached = True
                    with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                        os.killpg(proc.pid, sig)
                    break
            lines.append(proc.stdout.read())
            proc.wait(60)
            err.seek(0)
            return Run(proc.returncode, "".join(lines), err.read(), reached)

    def published(self) -> dict[str, str]:
        return published(self.curated)

    def consistent(self) -> str:
        return consistent(self.curated)

    def leftovers(self) -> list[str]:
        """What a killed build may leave: anything but the current and previous builds."""
        current = (self.curated / "current").resolve().name
        builds = sorted(p.name for p in (self.curated / "builds").iterdir())
        extra = [b for b in builds if b != current]
        complete = [
            b
            for b in extra
            if {"warehouse.duckdb", "build_report.json"}
            <= {p.name for p in (self.curated / "builds" / b).iterdir()}
        ]
        stray = [p.name for p in self.curated.iterdir() if ".tmp" in p.name or ".link." in p.name]
        return sorted(set(extra) - set(complete[-1:])) + stray  # one complete previous build


def change_a_document(scratch: Scratch, name: str = "tam-duong-2023-health-care-plan") -> None:
    """Make the next build differ (and re-extract one document)."""
    path = scratch.raw / f"{name}.txt"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"\nGhi chú {time.time_ns()}: văn bản được cập nhật.\n")


def kill_signal(name: str) -> signal.Signals:
    return {"SIGINT": signal.SIGINT, "SIGKILL": signal.SIGKILL}[name]
