"""The OR-Library job-shop format, read into a `Problem` (jobs 0..n-1, machines 0..m-1).

The files of `jobshop1.txt` look like this, and a bare file may start at the "6 6" line:

     +++++++++++++++++++++++++++++
     instance ft06
     +++++++++++++++++++++++++++++
     Fisher and Thompson 6x6 instance, alternate name (mt06)
     6 6
     2  1  0  3  1  6  3  7  5  3  4  6
     ...

Lines starting with '#' are comments anywhere. Errors name the line and what is wrong,
because a person fixes these files by hand.
"""

from __future__ import annotations

from shopfloor.planning.solver_types import Alternative, Job, Problem, ProblemError, Task


def _is_rule(line: str) -> bool:
    return bool(line) and set(line) == {"+"}


def _integers(tokens: list[str], number: int) -> list[int]:
    values = []
    for token in tokens:
        try:
            values.append(int(token))
        except ValueError:
            raise ProblemError(f"line {number}: {token!r} is not an integer") from None
    return values


def parse_named(text: str) -> tuple[str | None, Problem]:
    """(the instance name from an "instance NAME" header or None, the problem)."""
    lines = [(i + 1, raw.strip()) for i, raw in enumerate(text.splitlines())]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    name = None
    header = False
    position = 0
    while position < len(lines):
        number, line = lines[position]
        if _is_rule(line):
            header = True
        elif line.lower().startswith("instance"):
            header = True
            parts = line.split(None, 1)
            name = parts[1].strip() if len(parts) > 1 else None
        elif header and not all(token.lstrip("-").isdigit() for token in line.split()):
            pass  # the description line under the header block
        else:
            break
        position += 1
    if position >= len(lines):
        raise ProblemError("no 'jobs machines' line: the file holds no instance")

    number, line = lines[position]
    tokens = line.split()
    if len(tokens) != 2:
        raise ProblemError(f"line {number}: expected 'jobs machines' (two integers), got {line!r}")
    n_jobs, n_machines = _integers(tokens, number)
    if n_jobs < 1 or n_machines < 1:
        raise ProblemError(f"line {number}: jobs and machines must be at least 1, got {line!r}")
    position += 1

    job_lines = []
    while position < len(lines) and len(job_lines) < n_jobs:
        number, line = lines[position]
        if _is_rule(line):
            break
        job_lines.append((number, line))
        position += 1
    if len(job_lines) < n_jobs:
        last = job_lines[-1][0] if job_lines else lines[position - 1][0]
        raise ProblemError(f"line {last}: expected {n_jobs} job lines, found {len(job_lines)} (missing lines)")
    for number, line in lines[position:]:
        if not _is_rule(line):
            raise ProblemError(f"line {number}: unexpected data after the last job: {line!r}")

    jobs: list[Job] = []
    tasks: list[Task] = []
    for job, (number, line) in enumerate(job_lines):
        tokens = line.split()
        if len(tokens) != 2 * n_machines:
            raise ProblemError(
                f"line {number}: job {job} has {len(tokens)} numbers, expected {2 * n_machines} "
                f"({n_machines} machine/duration pairs)"
            )
        values = _integers(tokens, number)
        for index in range(n_machines):
            machine, duration = values[2 * index], values[2 * index + 1]
            if not 0 <= machine < n_machines:
                raise ProblemError(
                    f"line {number}: job {job} operation {index} uses machine {machine}; "
                    f"machines are numbered 0 to {n_machines - 1}"
                )
            if duration < 0:
                raise ProblemError(f"line {number}: job {job} operation {index} has a negative duration ({duration})")
            tasks.append(Task((job, index), job, index, (Alternative(machine, duration),)))
        jobs.append(Job(job))
    return name, Problem(jobs=jobs, tasks=tasks)


def parse_orlibrary(text: str) -> Problem:
    """An OR-Library job-shop instance: "jobs machines" then per job machine/duration pairs."""
    return parse_named(text)[1]
