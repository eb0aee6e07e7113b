"""The errors a build can stop with; each message names the file (and line or key) at fault.

They live apart from the layers that raise them so that any layer can raise or catch them
without importing another layer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(ValueError):
    """Bad input: the message names the file and, where it can, the line or key."""


class ReferenceError(ValueError):
    """Reference data that cannot be used; the message names the file and entry."""


class BuildError(RuntimeError):
    """The build stopped; the previous warehouse is untouched."""


class OutputError(RuntimeError):
    """The build cannot write its output (an unwritable folder, a full disk, another build
    writing it); the previous warehouse is untouched."""


class Interrupted(KeyboardInterrupt):
    """A build interrupted (Ctrl-C); ``published`` says whether the new warehouse was already
    published when it happened (then it is complete, else the previous one is untouched)."""

    def __init__(self, published: bool) -> None:
        super().__init__(published)
        self.published = published


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest of ``choices``, or '' when none is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
