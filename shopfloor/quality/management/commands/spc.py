"""`manage.py spc FILE.csv --chart CHART ...`: a control chart from a CSV file, printed as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopfloor.quality import spc
from shopfloor.quality.spc_io import parse_sample_numbers, read_csv

HELP = """Compute a control chart, its flagged points (Nelson 1-8, Western Electric 1-4) and, with
specification limits, process capability, from a CSV file; print the result as JSON.

CSV formats (a header row names the columns; other columns are ignored):
  xbar_r, xbar_s, imr   one column of measurements (header optional), cut in order into
                        subgroups of --subgroup-size (imr: single values);
                        or the columns  subgroup,value
  p, np                 defectives,sample_size
  c, u                  defects,units   (units optional for c: one inspection unit per sample)

Sample numbers (--exclude, and those in the output) count from 1, in file order.
Example: manage.py spc rings.csv --chart xbar_r --subgroup-size 5 --phase1-points 25 --lsl 73.95 --usl 74.05
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file (see the formats above); '-' reads standard input")
        parser.add_argument("--chart", required=True, choices=list(spc.CHARTS))
        parser.add_argument("--subgroup-size", type=int, help="measurements per subgroup (xbar_r, xbar_s)")
        parser.add_argument("--lsl", type=float, help="lower specification limit (capability)")
        parser.add_argument("--usl", type=float, help="upper specification limit (capability)")
        parser.add_argument(
            "--phase1-points",
            type=int,
            help="how many leading points (subgroups) form the phase I baseline; the rest are "
            "monitored against its limits (default: all are phase I)",
        )
        parser.add_argument("--exclude", default="", help="phase I sample numbers with assignable causes, e.g. 15,23")
        parser.add_argument("--rules", default="both", choices=["both", "nelson", "western_electric", "none"])
        parser.add_argument("--confidence", type=float, default=0.95, help="for capability intervals")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            if path == "-":
                import sys

                text = sys.stdin.read()
            else:
                text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            data = read_csv(text, options["chart"])
            result = spc.compute(
                options["chart"],
                subgroup_size=options["subgroup_size"],
                phase1=options["phase1_points"],
                exclude=parse_sample_numbers(options["exclude"]),
                lsl=options["lsl"],
                usl=options["usl"],
                rules=options["rules"],
                confidence=options["confidence"],
                **data,
            )
        except spc.SpcError as exc:
            raise CommandError(f"{path}: {exc}") from None
        self.stdout.write(json.dumps(result.to_dict(), indent=2))
