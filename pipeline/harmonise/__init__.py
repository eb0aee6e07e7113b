"""Harmonise layer: figures become observations in each indicator's canonical unit, with their
flags (``observations``), conflicts and restatements (``conflicts``) and the corrections of
known source errors (``corrections``)."""

from pipeline.harmonise.observations import (
    OBSERVATION_COLUMNS,
    UNMAPPED_COLUMNS,
    observation_frame,
    observation_records,
    unmapped_frame,
)

__all__ = [
    "OBSERVATION_COLUMNS",
    "UNMAPPED_COLUMNS",
    "observation_frame",
    "observation_records",
    "unmapped_frame",
]
