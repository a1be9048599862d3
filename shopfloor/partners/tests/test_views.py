"""Partners pages: lists, customer page with its sites, forms that call the services."""

from __future__ import annotations

import pytest
from django.test import Client

from shopfloor.core import tenancy
from shopfloor.partners.models import Contact, Customer, Rig, Supplier, Well

from .factories import ContactFactory, CustomerFactory, RigFactory, SupplierFactory, WellFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def customer(org):
    with tenancy.use(org):
        customer = CustomerFactory(name="Northern Drilling")
        rig = RigFactory(customer=customer, name="Deepsea Atlantic")
        WellFactory(customer=customer, rig=rig, name="34/10-A-7")
        ContactFactory(customer=customer, name="Kari Nordmann")
    return customer


@pytest.fixture
def supplier(org):
    with tenancy.use(org):
        return SupplierFactory(name="Carbide Supply")


def test_pages_render(web, customer, supplier):
    for url in [
        "/partners/customers/",
        "/partners/customers/new/",
        f"/partners/customers/{customer.pk}/",
        f"/partners/customers/{customer.pk}/edit/",
        f"/partners/customers/{customer.pk}/contacts/new/",
        f"/partners/customers/{customer.pk}/rigs/new/",
        f"/partners/customers/{customer.pk}/wells/new/",
        "/partners/rigs/",
        "/partners/wells/",
        "/partners/suppliers/",
        "/partners/suppliers/new/",
        f"/partners/suppliers/{supplier.pk}/",
        f"/partners/suppliers/{supplier.pk}/edit/",
        f"/partners/suppliers/{supplier.pk}/contacts/new/",
        f"/partners/suppliers/{supplier.pk}/approval/",
        f"/partners/customers/{customer.pk}/?tab=history",
    ]:
        assert web.get(url).status_code == 200, url


def test_the_customer_page_shows_contacts_rigs_and_wells(web, customer):
    page = web.get(f"/partners/customers/{customer.pk}/").content.decode()
    for text in ["Northern Drilling", "Kari Nordmann", "Deepsea Atlantic", "34/10-A-7", "Gullfaks"]:
        assert text in page


def test_creating_a_customer_then_a_rig_and_a_well(web, org):
    response = web.post("/partners/customers/new/", {"name": "Aker BP", "is_active": "on"})
    assert response.status_code == 302
    with tenancy.use(org):
        customer = Customer.objects.get(name="Aker BP")
    assert customer.number.startswith("CUS-")
    web.post(
        f"/partners/customers/{customer.pk}/rigs/new/",
        {"name": "Maersk Integrator", "rig_type": "jackup", "is_active": "on"},
    )
    with tenancy.use(org):
        rig = Rig.objects.get(customer=customer)
    response = web.post(
        f"/partners/customers/{customer.pk}/wells/new/",
        {
            "name": "Ivar Aasen A-3",
            "rig": rig.pk,
            "latitude": "58.9",
            "longitude": "2.2",
            "planned_depth": "3100",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with tenancy.use(org):
        assert Well.objects.get(customer=customer).rig == rig


def test_a_bad_latitude_comes_back_on_the_form(web, customer, org):
    response = web.post(f"/partners/customers/{customer.pk}/wells/new/", {"name": "X-1", "latitude": "123"})
    assert response.status_code == 200
    assert "latitude" in response.context["form"].errors
    with tenancy.use(org):
        assert not Well.objects.filter(name="X-1").exists()


def test_blocking_a_supplier_from_its_page(web, supplier, org):
    response = web.post(f"/partners/suppliers/{supplier.pk}/approval/", {"approval_status": "blocked"})
    assert response.status_code == 200  # no reason given: the form comes back
    response = web.post(
        f"/partners/suppliers/{supplier.pk}/approval/", {"approval_status": "blocked", "approval_note": "Bad welds"}
    )
    assert response.status_code == 302
    with tenancy.use(org):
        assert Supplier.objects.get(pk=supplier.pk).approval_status == "blocked"


def test_adding_a_supplier_contact(web, supplier, org):
    web.post(f"/partners/suppliers/{supplier.pk}/contacts/new/", {"name": "Ola Buyer", "email": "ola@carbide.example"})
    with tenancy.use(org):
        assert Contact.objects.get(supplier=supplier).name == "Ola Buyer"


def test_a_viewer_reads_but_cannot_add(viewer_user, customer, supplier):
    client = Client()
    client.force_login(viewer_user)
    assert client.get(f"/partners/customers/{customer.pk}/").status_code == 200
    assert client.get("/partners/customers/new/").status_code == 403
    assert (
        client.post(f"/partners/suppliers/{supplier.pk}/approval/", {"approval_status": "approved"}).status_code == 403
    )


def test_another_organizations_customer_is_a_404(web, other_org):
    with tenancy.use(other_org):
        foreign = CustomerFactory()
    assert web.get(f"/partners/customers/{foreign.pk}/").status_code == 404
