"""First proofs that the foundation stands: tenancy, audit chain, API create."""

import pytest

from shopfloor.core import audit, services, tenancy
from shopfloor.core.models import AuditEvent, Plant
from shopfloor.core.tenancy import NoTenant
from shopfloor.core.tests.factories import PlantFactory


@pytest.mark.django_db
def test_default_manager_only_returns_rows_of_the_organization_in_context(org, other_org):
    with tenancy.use(org):
        PlantFactory(code="HOU")
    with tenancy.use(other_org):
        PlantFactory(code="STV")
        assert list(Plant.objects.values_list("code", flat=True)) == ["STV"]
    with tenancy.use(org):
        assert list(Plant.objects.values_list("code", flat=True)) == ["HOU"]
    with pytest.raises(NoTenant):
        list(Plant.objects.all())
    assert Plant.objects.unscoped().count() == 2


def test_create_plant_records_audit_with_new_values(tenant, admin_user):
    plant = services.create_plant(
        actor=admin_user, data={"code": "HOU", "name": "Houston", "timezone": "America/Chicago"}
    )
    event = AuditEvent.objects.get(object_type="core.plant", object_id=str(plant.pk))
    assert event.action == "create"
    assert event.changes["code"] == [None, "HOU"]
    assert event.actor_name == admin_user.display_name
    assert audit.verify() == []


def test_api_creates_plant_and_rejects_unknown_field(api, org):
    response = api.post("/api/v1/core/plants/", {"code": "HOU", "name": "Houston"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "HOU"
    response = api.post("/api/v1/core/plants/", {"code": "X", "name": "Y", "colour": "red"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["errors"] == {"colour": ["Unknown field."]}
