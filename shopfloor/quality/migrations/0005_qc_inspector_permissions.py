"""Organizations' installed QC Inspector roles get what the quality flows check for an inspector:
`inventory.add_stockmove` (a decided inspection moves its stock out of or into quarantine; an
NCR's scrap or return posts moves) and `production.change_operation` (an NCR scraps work in
progress on its operation). A role an administrator trimmed below the shipped template is left
as it is; one they only added to keeps their additions."""

from django.db import migrations

TEMPLATE = "QC Inspector"
SHIPPED = ["*.view_*", "quality.*"]
ADDED = ["inventory.add_stockmove", "production.change_operation"]


def forwards(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for role in Role._base_manager.filter(template=TEMPLATE):
        permissions = list(role.permissions or [])
        if not set(SHIPPED) <= set(permissions):
            continue
        missing = [p for p in ADDED if p not in permissions]
        if missing:
            role.permissions = permissions + missing
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0004_ncr_work_order_hold"),
        ("core", "0003_notifications"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
