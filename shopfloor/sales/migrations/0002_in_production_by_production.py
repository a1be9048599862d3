"""Organizations' installed sales order workflows: "In production" is now reached when production
opens a work order for a line, so it needs production's right to open work orders (the default
since this migration); a definition an administrator changed is left as it is."""

from django.db import migrations


def forwards(apps, schema_editor):
    WorkflowTransition = apps.get_model("workflows", "WorkflowTransition")
    WorkflowTransition.objects.filter(
        definition__model="sales.salesorder",
        source__key="confirmed",
        target__key="in_production",
        permission="sales.change_salesorder",
    ).update(permission="production.add_workorder")


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("workflows", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
