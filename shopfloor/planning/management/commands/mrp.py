"""`manage.py mrp --plant CODE [--organization SLUG] [--horizon DAYS]`: one MRP run, here and now.

Runs synchronously (no Celery), outside any transaction so the run's progress is saved as it
goes; draws a text progress bar on stderr and prints a summary on stdout.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shopfloor.core import tenancy
from shopfloor.core.models import Organization, Plant
from shopfloor.planning.models import MrpRun
from shopfloor.planning.services import mrp

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Run MRP for one plant now, with a progress bar (no Celery needed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--plant", required=True, help="Code of the plant to plan.")
        parser.add_argument(
            "--organization", help="Slug of the organization (needed when several have the plant code)."
        )
        parser.add_argument("--horizon", type=int, default=180, help="Days to plan ahead (default 180).")

    def handle(self, *args: Any, **options: Any) -> None:
        plants = Plant.objects.unscoped().select_related("organization").filter(code=options["plant"])
        if options["organization"]:
            if not Organization.objects.filter(slug=options["organization"]).exists():
                raise CommandError(f"No organization '{options['organization']}'.")
            plants = plants.filter(organization__slug=options["organization"])
        found = list(plants.order_by("organization__slug")[:2])
        if not found:
            where = f" in organization '{options['organization']}'" if options["organization"] else ""
            raise CommandError(f"No plant '{options['plant']}'{where}.")
        if len(found) > 1:
            raise CommandError(
                f"Several organizations have a plant '{options['plant']}': name one with --organization."
            )
        plant = found[0]
        with tenancy.use(plant.organization):
            try:
                run = mrp.request_system_mrp_run(plant=plant, horizon_days=options["horizon"])
            except Exception as exc:  # a bad horizon is the user's input: say so, no traceback
                raise CommandError(str(exc)) from exc
        run = mrp.run_mrp(run.pk, progress=self._bar)
        self.stderr.write("")
        if run.status != MrpRun.Status.DONE:
            raise CommandError(f"MRP run {run.pk} failed: {run.error}")
        stats = run.stats
        self.stdout.write(
            f"MRP run {run.pk} of plant {plant.code} ({plant.organization.slug}), plan date {run.plan_date}, "
            f"{run.horizon_days} days: {stats.get('items', 0)} items, {stats.get('planned_orders', 0)} planned orders, "
            f"{stats.get('peggings', 0)} peggings, {stats.get('exceptions', 0)} exceptions in "
            f"{stats.get('seconds', {}).get('total', '?')} s."
        )

    def _bar(self, percent: int, message: str) -> None:
        filled = BAR_WIDTH * max(0, min(percent, 100)) // 100
        self.stderr.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% {message[:60]:<60}", ending="")
        self.stderr.flush()
