import factory

from shopfloor.core.tests.factories import TenantFactory
from shopfloor.exchange.models import ImportJob


class ImportJobFactory(TenantFactory):
    """A validated dry run of a one-row unit-categories file (so it can be committed)."""

    class Meta:
        model = ImportJob

    dataset = "unit-categories"
    file = factory.django.FileField(filename="categories.csv", data=b"name,description\nArea,Base: m2\n")
    original_name = "categories.csv"
    dry_run = True
    status = ImportJob.Status.VALIDATED
    total_rows = 1
    processed_rows = 1
