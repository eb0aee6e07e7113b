"""What extracting one document gives, and what a whole extraction did."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.harmonise import observation_frame, unmapped_frame


@dataclass
class DocResult:
    """One document's rows as tuples in the tables' column order (cheap to pickle and merge)."""

    observation_records: list[tuple]
    unmapped_records: list[tuple]
    layouts: list[str]
    cached: bool = False

    @property
    def observations(self) -> pd.DataFrame:
        """The observation records as a DataFrame (built on each access)."""
        return observation_frame(self.observation_records)

    @property
    def unmapped(self) -> pd.DataFrame:
        """The unmapped records as a DataFrame (built on each access)."""
        return unmapped_frame(self.unmapped_records)


@dataclass
class ExtractStats:
    """What the last :func:`extract_all` did (read by ``pipeline.bench``)."""

    n_sources: int = 0
    n_extracted: int = 0
    n_cached: int = 0
    workers: int = 1
    seconds: float = 0.0  # the whole call: keys, cache reads, extraction, cache writes
    extract_seconds: float = 0.0  # extraction of the documents not in the cache only
    pool_peak_rss_kb: int = 0  # largest pool worker (ru_maxrss of reaped children), 0 if no pool
    cpu_seconds: float = 0.0  # CPU time of the extraction, this process and its pool together
    n_pruned: int = 0  # cache entries deleted as unused for CACHE_MAX_AGE_DAYS
    n_discarded: int = 0  # cache entries that failed their checksum or could not be read
