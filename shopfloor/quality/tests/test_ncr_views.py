"""NCR and CAPA pages: open, investigate, dispose, close signed; CAPA effectiveness; refusals shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shopfloor.catalog.tests.factories import ItemFactory
from shopfloor.core import tenancy
from shopfloor.core.tests.factories import PASSWORD, PlantFactory
from shopfloor.inventory import services as inventory
from shopfloor.inventory.models import Location, StockBalance
from shopfloor.inventory.tests.factories import LocationFactory, LotFactory
from shopfloor.quality.models import Capa, Ncr

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def scene(org, admin_user):
    with tenancy.use(org, admin_user):
        plant = PlantFactory()
        quarantine = LocationFactory(plant=plant, code="QA", location_type=Location.Type.QUARANTINE)
        item = ItemFactory(tracking="lot")
        lot = LotFactory(item=item, number="L-7")
        inventory.receive(actor=admin_user, item=item, quantity="6", location=quarantine, lot=lot)
    return {"plant": plant, "quarantine": quarantine, "item": item, "lot": lot}


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_ncr_from_form_to_signed_closure(web, org, scene):
    assert web.get("/quality/ncrs/").status_code == 200
    assert web.get("/quality/ncrs/new/").status_code == 200
    created = web.post(
        "/quality/ncrs/new/",
        {
            "plant": scene["plant"].pk,
            "title": "Scratched housings",
            "source": "operation",
            "item": scene["item"].pk,
            "quantity": "6",
            "location": scene["quarantine"].pk,
        },
    )
    assert created.status_code == 302, created.context["form"].errors if created.context else created
    with tenancy.use(org):
        ncr = Ncr.objects.get()
    url = f"/quality/ncrs/{ncr.pk}/"
    page = web.get(url)
    assert page.status_code == 200 and ncr.number in page.content.decode()

    web.post(f"{url}transition/", {"to_state": "investigating"})
    refused = web.post(f"{url}transition/", {"to_state": "disposition"}, follow=True)
    assert "root cause" in _messages(refused)
    web.post(f"{url}investigation/", {"why_1": "Fixture edge sharp", "cause_category": "method"})
    web.post(f"{url}transition/", {"to_state": "disposition"})
    too_many = web.post(f"{url}disposition/", {"kind": "scrap", "quantity": "7", "lot": scene["lot"].pk}, follow=True)
    assert "Only 6 of 6 are left to dispose." in _messages(too_many)
    web.post(f"{url}disposition/", {"kind": "scrap", "quantity": "6", "lot": scene["lot"].pk})
    with tenancy.use(org):
        assert StockBalance.objects.get(location=scene["quarantine"], lot=scene["lot"]).on_hand == Decimal(0)
    wrong = web.post(f"{url}close/", {"password": "nope"}, follow=True)
    assert wrong.context["object"].status == "disposition"
    closed = web.post(f"{url}close/", {"password": PASSWORD}, follow=True)
    assert "closed and signed" in _messages(closed)
    frozen = web.post(f"{url}investigation/", {"why_1": "Rewritten", "cause_category": "man"}, follow=True)
    assert "can no longer change" in _messages(frozen)
    with tenancy.use(org):
        ncr.refresh_from_db()
    assert (ncr.status, ncr.why_1) == ("closed", "Fixture edge sharp")


def test_capa_page_closes_only_after_an_effective_check(web, org, admin_user):
    assert web.get("/quality/capas/new/").status_code == 200
    created = web.post(
        "/quality/capas/new/",
        {
            "kind": "corrective",
            "source": "audit",
            "audit_reference": "ISO 9001 audit, finding 3",
            "title": "Calibrate torque wrenches",
            "owner": admin_user.pk,
            "due_date": "2027-02-01",
        },
    )
    assert created.status_code == 302
    with tenancy.use(org):
        capa = Capa.objects.get()
    url = f"/quality/capas/{capa.pk}/"
    assert web.get("/quality/capas/").status_code == 200
    for state in ("in_progress", "verifying"):
        web.post(f"{url}transition/", {"to_state": state})
    early = web.post(f"{url}transition/", {"to_state": "closed"}, follow=True)
    assert "effectiveness" in _messages(early)
    web.post(f"{url}effectiveness/", {"effective": "yes", "note": "Audit sample of 20: all in tolerance"})
    done = web.post(f"{url}transition/", {"to_state": "closed"}, follow=True)
    assert done.context["object"].status == "closed"
