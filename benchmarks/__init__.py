"""The benchmark, outside the build package: synthetic corpora (``corpus``), one measured run
(``measure``) and the report with its targets (``run``). ``make bench`` runs it."""
