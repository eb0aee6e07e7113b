"""Text layer: normalised, searchable text that points back to the raw bytes (``normalise``),
the lexicon of words the readers know (``lexicon``) and the value grammar that reads figures,
comparators and units (``grammar``)."""

from pipeline.text.normalise import (
    Document,
    code_points,
    fold,
    fold_phrase,
    normalise,
    phrase_needle,
    phrase_pieces,
    phrase_regex,
)

__all__ = [
    "Document",
    "code_points",
    "fold",
    "fold_phrase",
    "normalise",
    "phrase_needle",
    "phrase_pieces",
    "phrase_regex",
]
