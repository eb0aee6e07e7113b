"""``python -m benchmarks [--sizes N ...]``: generate, build and measure synthetic corpora."""

from __future__ import annotations

import argparse

from benchmarks.run import DEFAULT_SIZES, main

parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
parser.add_argument("--sizes", type=int, nargs="*", default=DEFAULT_SIZES)
main(parser.parse_args().sizes)
