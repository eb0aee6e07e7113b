"""Command line: ``chitieu`` (or ``python -m pipeline``) build, sql, sources, explain, docs,
notebooks. Query results print as a table, ``--csv`` or ``--json`` (``pipeline/cli_output.py``)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
from pathlib import Path

from pipeline.errors import BuildError, InputError, OutputError


def _output_format(args: argparse.Namespace) -> str:
    return "csv" if args.csv else "json" if args.json else "table"


def _add_format_options(p: argparse.ArgumentParser) -> None:
    """--csv / --json; the rules for each value are in pipeline/cli_output.py (and the README)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--csv", action="store_true", help="CSV with a header (lists ;-joined)")
    g.add_argument("--json", action="store_true", help="a JSON array of objects")


def cmd_build(args: argparse.Namespace) -> int:
    from pipeline.warehouse import build

    try:
        build(validate=not args.no_validate)
    except InputError as e:
        print(f"build stopped: {e}\nThe previous warehouse is unchanged.", file=sys.stderr)
        return 2
    except BuildError as e:
        print(
            f"build stopped by the quality gate:\n{e}\nThe previous warehouse is unchanged.",
            file=sys.stderr,
        )
        return 3
    except OutputError as e:
        print(f"build stopped: {e}\nThe previous warehouse is unchanged.", file=sys.stderr)
        return 4
    except KeyboardInterrupt as e:
        done = getattr(e, "published", False)
        print(
            "build interrupted: "
            + (
                "the new warehouse was already published."
                if done
                else "the previous warehouse is unchanged."
            ),
            file=sys.stderr,
        )
        return 130
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from pipeline import cli_output
    from pipeline.warehouse import connect

    try:
        con = connect(Path(args.warehouse) if args.warehouse else None)
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 2
    try:
        cli_output.write(con.execute(args.query), _output_format(args), sys.stdout)
    except duckdb.Error as e:
        print(f"query failed: {e}", file=sys.stderr)
        if isinstance(e, duckdb.PermissionException) or "configuration has been locked" in str(e):
            print(
                "`sql` only reads the warehouse: it cannot write or read files, attach "
                "databases, install extensions or change settings.",
                file=sys.stderr,
            )
        return 1
    finally:
        con.close()
    return 0


SOURCES_SQL = """
    SELECT s.source_id, s.geo_code, g.name_vi AS geo,
           (SELECT count(*) FROM observation o WHERE o.source_id = s.source_id) AS observations,
           (SELECT count(*) FROM unmapped u WHERE u.source_id = s.source_id) AS unmapped,
           (SELECT count(*) FROM observation o WHERE o.source_id = s.source_id
              AND len(o.flags) > 0) AS flagged,
           (SELECT count(*) FROM observation o WHERE o.source_id = s.source_id
              AND list_contains(o.flags, 'conflict')) AS conflicts,
           (SELECT count(*) FROM observation o WHERE o.source_id = s.source_id
              AND list_contains(o.flags, 'unit_corrected')) AS units_corrected,
           s.n_corrections AS corrections,
           array_to_string(s.layouts, ',') AS layouts
    FROM source_document s JOIN geo g USING (geo_code) ORDER BY s.source_id"""


def cmd_sources(args: argparse.Namespace) -> int:
    from pipeline import cli_output
    from pipeline.warehouse import connect

    con = connect()
    try:
        cli_output.write(con.execute(SOURCES_SQL), _output_format(args), sys.stdout)
    finally:
        con.close()
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from pipeline.settings import RAW_DIR
    from pipeline.warehouse import connect

    con = connect()
    rows = con.execute(
        """
        SELECT o.*, i.name_en AS indicator_name, s.file_name, g.name_vi AS geo_name
        FROM observation o JOIN indicator i USING (indicator_code)
        JOIN source_document s USING (source_id) JOIN geo g ON g.geo_code = o.geo_code
        WHERE o.observation_id = ?""",
        [args.observation_id],
    ).df()
    con.close()
    if rows.empty:
        print(f"no observation {args.observation_id!r}", file=sys.stderr)
        return 1
    r = rows.iloc[0]
    value = (
        "(qualitative)"
        if r["value"] != r["value"]
        else f"{r['comparator']} {r['value']:g} {r['unit_code']}"
    )
    print(f"{r['observation_id']}  {r['geo_name']} ({r['geo_code']})  {r['indicator_name']}")
    marked = " (preliminary)" if "preliminary" in list(r["flags"]) else " (estimate)"
    print(f"  {r['kind']} {r['year']}{marked if r['is_estimate'] else ''}: {value}")
    print(
        f"  as printed: {r['value_reported']!r}  unit {r['unit_reported']!r}  "
        f"label {r['label_reported']!r}"
    )
    if r["condition"]:
        print(f"  condition: {r['condition']}")
    _print_citation(r)
    if len(r["flags"]):
        print(f"  flags: {', '.join(r['flags'])}")
        for d in str(r["flag_detail"]).split("; "):
            print("    " + textwrap.shorten(d, 150))
    path = RAW_DIR / r["file_name"]
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as e:
        print(f"  source: {path.name} cannot be shown ({e}); rebuild after changing data/raw")
        return 1
    a, b = int(r["line_start"]), int(r["line_end"])
    print(f"  source: {path.name}, lines {a}-{b}")
    if path.suffix == ".csv" and a - args.context > 1:  # a table's row reads with its header
        print(f"   {1:5} | {lines[0].rstrip()}")
        print("         …")
    for n in range(max(1, a - args.context), min(len(lines), b + args.context) + 1):
        mark = ">" if a <= n <= b else " "
        print(f"  {mark}{n:5} | {lines[n - 1].rstrip()}")
    return 0


def _print_citation(r) -> None:
    """Where a figure of a compilation comes from: the instrument its row cites, and the page."""
    if isinstance(r.get("cited_instrument"), str):
        kind = r["cited_published_as"] if isinstance(r.get("cited_published_as"), str) else ""
        print(f"  cited: {r['cited_instrument']}")
        print(f"    {r['cited_url']}" + (f"  ({kind})" if kind else ""))
    if str(r.get("official_statistics")) == "True":  # a NumPy bool; absent from older warehouses
        print("  official statistics")


def cmd_docs(args: argparse.Namespace) -> int:
    from pipeline.quality import build_data_docs

    path = build_data_docs()
    print(f"Data Docs: {path}")
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    """Execute every notebook against the current build and stamp what the outputs came from."""
    from pipeline.analysis import notebooks, stamp
    from pipeline.settings import warehouse_path

    wh = warehouse_path()
    stale = [
        p for p in stamp.build_inputs() if not wh.exists() or p.stat().st_mtime > wh.stat().st_mtime
    ]
    if stale:
        print(
            f"{wh} is older than {stale[0]} (and {len(stale) - 1} more): run `make notebooks`, "
            "which builds first",
            file=sys.stderr,
        )
        return 2
    notebooks.run_notebooks()
    print(f"inputs stamped in {stamp.write_stamp()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="chitieu", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="extract, validate and swap in data/curated/warehouse.duckdb")
    b.add_argument(
        "--no-validate", action="store_true", help="skip the quality gate (debugging only)"
    )
    b.set_defaults(func=cmd_build)
    q = sub.add_parser("sql", help="run a read-only query against the warehouse")
    q.add_argument("query")
    _add_format_options(q)
    q.add_argument("--warehouse", help="path to a warehouse file (default: data/curated)")
    q.set_defaults(func=cmd_sql)
    s = sub.add_parser("sources", help="documents with counts of observations, unmapped, flags")
    _add_format_options(s)
    s.set_defaults(func=cmd_sources)
    e = sub.add_parser("explain", help="an observation with the source lines around it")
    e.add_argument("observation_id")
    e.add_argument("--context", type=int, default=3)
    e.set_defaults(func=cmd_explain)
    d = sub.add_parser("docs", help="render Great Expectations Data Docs")
    d.set_defaults(func=cmd_docs)
    n = sub.add_parser("notebooks", help="execute notebooks, export figures and HTML to reports/")
    n.set_defaults(func=cmd_notebooks)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except FileNotFoundError as e:  # sources, explain, docs before the first build
        print(e, file=sys.stderr)
        return 2


def _late_interrupt(argv: list[str] | None, code: int) -> int:
    """A Ctrl-C after the command's work is done, while Python winds down, would end it with a
    bare signal (-2) instead of 130: block it from here on, and answer it as the command would.
    A build that got here has published."""
    if not hasattr(signal, "pthread_sigmask"):
        return code
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    if signal.SIGINT not in signal.sigpending():
        return code
    if (argv if argv is not None else sys.argv[1:])[:1] == ["build"] and code == 0:
        print("build interrupted: the new warehouse was already published.", file=sys.stderr)
    return 128 + signal.SIGINT


def run(argv: list[str] | None = None) -> None:
    """The ``chitieu`` console script: :func:`main`, quiet when its reader goes away.

    A closed pipe (``chitieu sql ... | head -2``) ends the command silently with status 141,
    as the shell reports for ``cat`` in the same place (128 + SIGPIPE); Ctrl-C with 130.
    """
    try:
        code = main(argv)
        code = _late_interrupt(argv, code)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would report the error again when it flushes stdout at exit: point it nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    raise SystemExit(code)
