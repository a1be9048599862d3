"""`manage.py export_data <dataset> --organization <slug> --format csv|xlsx -o <file>`.

Writes every row of the dataset in its import columns: the file imports back unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shopfloor.core import tenancy
from shopfloor.core.models import Organization
from shopfloor.exchange import registry
from shopfloor.exchange.formats import FORMATS, write_csv, write_xlsx


class Command(BaseCommand):
    help = "Export every row of a dataset of an organization to CSV or XLSX."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dataset", choices=registry.names())
        parser.add_argument("--organization", required=True, help="Slug of the organization.")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("-o", "--output", type=Path, help="File to write; default: standard output (CSV only).")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organization '{options['organization']}'.")
        spec = registry.get(options["dataset"])
        fmt = options["format"]
        output = Path(options["output"]) if options["output"] else None
        if output is None and fmt == "xlsx":
            raise CommandError("Give -o <file> for XLSX.")
        # An operator's command: platform access, no member permission to check.
        with tenancy.use(organization):
            rows = list(spec.export_rows())
            if fmt == "xlsx":
                output.write_bytes(write_xlsx(spec.column_names, rows, title=spec.name))
            else:
                text = "".join(write_csv(spec.column_names, rows))
                if output is None:
                    self.stdout.write(text, ending="")
                    return
                output.write_text(text, encoding="utf-8", newline="")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(rows)} row(s) of {spec.name} to {output}."))
