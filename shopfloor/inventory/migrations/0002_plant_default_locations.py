"""Existing plants get the default locations new plants are created with (see
`inventory.services.ensure_default_locations`), so a plant set up before them no longer answers a
receipt with a 409 for want of a receiving or quarantine location; and reservations already
installed in organizations are consumed with the right to post the move that uses them."""

from django.db import migrations

DEFAULT_LOCATIONS = (
    ("receiving", "RECEIVING", "Receiving"),
    ("storage", "STOCK", "Stock"),
    ("quarantine", "QUARANTINE", "Quarantine"),
    ("shipping", "SHIPPING", "Shipping"),
    ("scrap", "SCRAP", "Scrap"),
)


def create_missing_locations(apps, schema_editor):
    Plant = apps.get_model("core", "Plant")
    Location = apps.get_model("inventory", "Location")
    for plant in Plant.objects.all().iterator():
        have = set(Location.objects.filter(plant=plant, is_active=True).values_list("location_type", flat=True))
        taken = set(Location.objects.filter(plant=plant).values_list("code", flat=True))
        Location.objects.bulk_create(
            [
                Location(organization_id=plant.organization_id, plant=plant, code=code, name=name, location_type=kind)
                for kind, code, name in DEFAULT_LOCATIONS
                if kind not in have and code not in taken
            ]
        )


def consume_with_move_permission(apps, schema_editor):
    WorkflowTransition = apps.get_model("workflows", "WorkflowTransition")
    WorkflowTransition.objects.filter(
        definition__model="inventory.reservation",
        source__key="open",
        target__key="consumed",
        permission="inventory.change_reservation",
    ).update(permission="inventory.add_stockmove")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("core", "0001_initial"),
        ("workflows", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_missing_locations, migrations.RunPython.noop),
        migrations.RunPython(consume_with_move_permission, migrations.RunPython.noop),
    ]
