"""`manage.py jobshop FILE`: solve an OR-Library job-shop instance with the plant's scheduling model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shopfloor.planning.solver import ProblemError, parse_named, solve


class Command(BaseCommand):
    help = (
        "Solve a job-shop instance in the OR-Library format (first line 'jobs machines', then "
        "per job machine/duration pairs, machines from 0) for the minimum makespan, with the "
        "same CP-SAT model that schedules the plant; print JSON with instance, jobs, machines, "
        "makespan, status (OPTIMAL or FEASIBLE, DISPATCH when nothing was found in time), "
        "lower_bound and seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the instance file")
        parser.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
        parser.add_argument("--workers", type=int, default=2, help="CP-SAT search workers (default 2)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if options["time_limit"] <= 0:
            raise CommandError("--time-limit must be positive")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the file ({exc})") from None
        try:
            name, problem = parse_named(text)
        except ProblemError as exc:
            raise CommandError(f"{path}: {exc}") from None
        solution = solve(
            problem,
            time_limit=options["time_limit"],
            workers=options["workers"],
            objective="makespan",
        )
        machines = {alt.machine for task in problem.tasks for alt in task.alternatives}
        result = {
            "instance": name or path.stem,
            "jobs": len(problem.jobs),
            "machines": len(machines),
            "makespan": solution.makespan,
            "status": solution.status,
            "lower_bound": solution.lower_bound,
            "seconds": round(solution.seconds, 3),
        }
        self.stdout.write(json.dumps(result))
