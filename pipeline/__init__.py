"""chitieu: Vietnamese health-plan figures, from documents to a DuckDB warehouse.

Layers, one folder each, in the order data flows through them:

``sources`` (documents and sidecars in ``data/raw``) -> ``text`` (normalised text with offsets to
the raw bytes, the lexicon, the value grammar) -> ``staging`` (one reader per layout) ->
``harmonise`` (canonical units, flags, conflicts, corrections) -> ``extract`` (per document,
cached, parallel) -> ``warehouse`` (stage, gate, record, publish) with ``quality`` (the Great
Expectations gate) -> ``marts`` (the ``gap`` view, as SQL) -> ``analysis`` (read helpers,
charts, notebooks; never imported by a build). ``reference`` (geography, catalog, units) is read
by every layer; ``settings`` owns paths, environment variables and tunables; ``errors`` the
errors a build stops with.
"""

__version__ = "0.1.0"
