"""Document numbers: per organization and type, no gaps, no duplicates, even under concurrency."""

from __future__ import annotations

import pytest
from django.db import transaction

from shopfloor.core import tenancy
from shopfloor.core.numbering import next_number
from shopfloor.core.tests.support import run_in_threads


def test_next_number_counts_up_with_prefix_and_padding(tenant):
    assert [next_number("work_order", prefix="WO-") for _ in range(3)] == ["WO-000001", "WO-000002", "WO-000003"]


def test_numbers_are_per_organization_and_document_type(org, other_org):
    with tenancy.use(org):
        assert next_number("work_order", prefix="WO-") == "WO-000001"
        assert next_number("work_order", prefix="WO-") == "WO-000002"
        assert next_number("ncr", prefix="NCR-", padding=4) == "NCR-0001"
    with tenancy.use(other_org):
        assert next_number("work_order", prefix="WO-") == "WO-000001"
    with tenancy.use(org):
        assert next_number("work_order", prefix="WO-") == "WO-000003"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_gives_its_number_back(org):
    with tenancy.use(org):
        assert next_number("work_order", prefix="WO-") == "WO-000001"
        with pytest.raises(RuntimeError), transaction.atomic():
            assert next_number("work_order", prefix="WO-") == "WO-000002"
            raise RuntimeError("the document failed validation")
        assert next_number("work_order", prefix="WO-") == "WO-000002"


@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_get_every_number_exactly_once(org, other_org):
    threads, per_thread = 8, 25

    def create(i: int) -> list[str]:
        numbers = []
        with tenancy.use(org):
            for _ in range(per_thread):
                # Each number in its own transaction, as each document would be.
                with transaction.atomic():
                    numbers.append(next_number("work_order", prefix="WO-"))
        return numbers

    results = run_in_threads(threads, create)
    issued = sorted(n for numbers in results for n in numbers)
    assert issued == [f"WO-{i:06d}" for i in range(1, threads * per_thread + 1)]
    for numbers in results:  # each creator sees its own numbers rise
        assert numbers == sorted(numbers)
    with tenancy.use(other_org):
        assert next_number("work_order", prefix="WO-") == "WO-000001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_creators_with_rollbacks_leave_no_gaps(org):
    threads, per_thread = 6, 10

    def create(i: int) -> list[str]:
        kept = []
        with tenancy.use(org):
            for j in range(per_thread):
                try:
                    with transaction.atomic():
                        number = next_number("work_order", prefix="WO-")
                        if (i + j) % 3 == 0:
                            raise ValueError("abandoned")
                        kept.append(number)
                except ValueError:
                    pass
        return kept

    kept = sorted(n for numbers in run_in_threads(threads, create) for n in numbers)
    assert kept == [f"WO-{i:06d}" for i in range(1, len(kept) + 1)]
