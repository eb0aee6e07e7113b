"""Analysis layer: reads the built warehouse for researchers and notebooks; never imported by a
build. ``frames`` (read helpers returning DataFrames), ``charts`` (figures in English or
Vietnamese, words in ``labels.yaml``) and ``notebooks`` (execute and export the notebooks)."""
