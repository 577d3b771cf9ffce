#!/usr/bin/env python3
"""Convert human-rated dialogue data (USR Topical-Chat / PersonaChat ratings JSON, FED, flat CSV) to evalkit's
rated JSONL (datasets/rated/README.md), or to the flat one-rating-per-row CSV with --flat.

`evalkit validate rated.path=<file>` reads all of these directly; converting is for inspecting, editing or merging.

    python scripts/convert_usr_ratings.py tc_usr_data.json tc_usr.jsonl
    python scripts/convert_usr_ratings.py pc_usr_data.json pc_usr.csv --flat --keep-reference
"""

from __future__ import annotations

import argparse
import sys

from evalkit.errors import InvalidData
from evalkit.validity.rated import load_rated, write_flat, write_nested


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--format", default="auto", help="auto | nested | flat | usr | fed")
    parser.add_argument("--flat", action="store_true", help="write the flat CSV instead of JSONL")
    parser.add_argument("--keep-reference", action="store_true",
                        help="USR: keep the original ground-truth reply as a rated candidate too")
    parser.add_argument("--no-knowledge", action="store_true", help="USR: leave the fact / persona line out")
    args = parser.parse_args()
    try:
        rated = load_rated(args.source, args.format, usr_reference="keep" if args.keep_reference else "exclude",
                           knowledge=not args.no_knowledge)
    except (InvalidData, FileNotFoundError) as err:
        print(f"convert: error: {err}", file=sys.stderr)
        sys.exit(2)
    (write_flat if args.flat else write_nested)(rated, args.out)
    n = sum(len(item.candidates) for item in rated.items)
    print(f"{args.source}: {len(rated.items)} items, {n} candidates, aspects {rated.aspects} -> {args.out}")


if __name__ == "__main__":
    main()
