"""YAML read through libyaml's parser where PyYAML was built with it (its wheels are).

Every build and every extraction worker reads the catalog, lexicon and units: the pure-Python
parser took 0.4 s of a rebuild for them. The constructor and resolver are PyYAML's own either
way, so the values are the same.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str | bytes) -> Any:
    """``yaml.safe_load``, faster."""
    return yaml.load(text, Loader=LOADER)
