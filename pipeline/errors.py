"""The errors a build can stop with; each message names the file (and line or key) at fault.

They live apart from the layers that raise them so that any layer can raise or catch them
without importing another layer.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: the message names the file and, where it can, the line or key."""


class ReferenceError(ValueError):
    """Reference data that cannot be used; the message names the file and entry."""


class BuildError(RuntimeError):
    """The build stopped; the previous warehouse is untouched."""
