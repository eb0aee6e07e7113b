"""Quality gate (placeholder until the Great Expectations suites land)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Outcome:
    results: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def validate_warehouse(path: Path, raw_dir: Path) -> Outcome:
    return Outcome()
