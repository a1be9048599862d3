"""Partners API beyond CRUD (which the contract suite covers): numbers and supplier approval."""

from __future__ import annotations

import pytest

from shopfloor.core import tenancy
from shopfloor.partners.models import Supplier

from .factories import CustomerFactory, RigFactory, SupplierFactory, WellFactory

pytestmark = pytest.mark.django_db


def test_created_customers_get_a_number_that_cannot_be_sent(api, org):
    response = api.post("/api/v1/partners/customers/", {"name": "Equinor"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["number"].startswith("CUS-")
    response = api.post("/api/v1/partners/customers/", {"name": "X", "number": "CUS-1"}, format="json")
    assert response.status_code == 400


def test_set_approval_blocks_with_a_reason(api, org):
    with tenancy.use(org):
        supplier = SupplierFactory()
    url = f"/api/v1/partners/suppliers/{supplier.pk}/set-approval/"
    response = api.post(url, {"approval_status": "blocked"}, format="json")
    assert response.status_code == 400
    assert "approval_note" in response.json()["errors"]
    response = api.post(url, {"approval_status": "blocked", "approval_note": "Late 5 times"}, format="json")
    assert response.status_code == 200
    assert response.json()["approval_status"] == "blocked"
    with tenancy.use(org):
        assert Supplier.objects.get(pk=supplier.pk).approval_note == "Late 5 times"


def test_a_viewer_cannot_set_approval(api_for, viewer_user, org):
    with tenancy.use(org):
        supplier = SupplierFactory()
    response = api_for(viewer_user).post(
        f"/api/v1/partners/suppliers/{supplier.pk}/set-approval/", {"approval_status": "approved"}, format="json"
    )
    assert response.status_code == 403


def test_a_well_with_a_rig_of_another_customer_is_a_400(api, org):
    with tenancy.use(org):
        customer, rig = CustomerFactory(), RigFactory()
    response = api.post(
        "/api/v1/partners/wells/", {"customer": customer.pk, "rig": rig.pk, "name": "W-1"}, format="json"
    )
    assert response.status_code == 400
    assert "rig" in response.json()["errors"]


def test_wells_filter_by_customer(api, org):
    with tenancy.use(org):
        rig = RigFactory()
        other = RigFactory()
    api.post("/api/v1/partners/wells/", {"customer": rig.customer_id, "rig": rig.pk, "name": "W-2"}, format="json")
    api.post("/api/v1/partners/wells/", {"customer": other.customer_id, "name": "W-3"}, format="json")
    rows = api.get(f"/api/v1/partners/wells/?customer={rig.customer_id}").json()["results"]
    assert [r["name"] for r in rows] == ["W-2"]
    assert rows[0]["rig_name"] == rig.name


def test_patching_a_well_without_a_rig_answers_with_every_field(api, org):
    with tenancy.use(org):
        well = WellFactory()
    response = api.patch(f"/api/v1/partners/wells/{well.pk}/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["rig_name"] is None
