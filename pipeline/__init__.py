"""chitieu: Vietnamese health-plan figures, from documents to a DuckDB warehouse.

Layers, each a module: ``raw`` (documents and sidecars), ``reference`` (geography, units,
indicator catalog), ``text`` (normalisation with provenance), ``grammar`` (numbers, comparators,
units), ``staging`` (layout readers that find figures), ``harmonise`` (canonical units, flags,
conflicts, corrections), ``warehouse`` (load, validate, swap), ``marts`` (gap analysis),
``validate`` (Great Expectations gate), ``charts`` (figures, en/vi) and ``reports`` (notebook
execution and export).
"""

__version__ = "0.1.0"
