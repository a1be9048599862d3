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


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _use_as_is_awaiting_concession(org, requester, scene) -> Ncr:
    """An NCR in Disposition with a use-as-is disposition `requester` decided."""
    from shopfloor.quality.services import ncr as ncr_services

    with tenancy.use(org, requester):
        ncr = ncr_services.open_ncr(
            actor=requester,
            data={
                "plant": scene["plant"],
                "item": scene["item"],
                "quantity": "6",
                "source": "operation",
                "title": "Burr on the shank",
                "location": scene["quarantine"],
            },
        )
        ncr_services.transition_ncr(actor=requester, ncr=ncr, to_state="investigating")
        ncr_services.update_ncr(actor=requester, ncr=ncr, data={"why_1": "Worn tool", "cause_category": "machine"})
        ncr_services.transition_ncr(actor=requester, ncr=ncr, to_state="disposition")
        ncr_services.add_disposition(actor=requester, ncr=ncr, data={"kind": "use_as_is", "quantity": "6"})
    return ncr


def test_the_concession_button_is_offered_to_an_approver_not_to_its_requester(org, admin_user, scene):
    from shopfloor.core.tests.factories import member
    from shopfloor.quality.models import Disposition

    ncr = _use_as_is_awaiting_concession(org, admin_user, scene)
    url = f"/quality/ncrs/{ncr.pk}/"
    approver = member(org, ["*"], username="bruno")
    disposer = member(org, ["quality.view_ncr", "quality.dispose_ncr", "quality.close_ncr"], username="carla")

    own = _client(admin_user).get(url).content.decode()
    assert "Approve concession" not in own and "Awaiting approval" in own
    assert "Approve concession" not in _client(disposer).get(url).content.decode()
    assert "Approve concession" in _client(approver).get(url).content.decode()

    # the service refuses them too: the requester is a conflict, the one without the permission 403
    with tenancy.use(org):
        concession = {"disposition": Disposition.objects.get().pk}
    refused = _client(admin_user).post(f"{url}concession/", concession, follow=True)
    assert "someone other than who asked for it" in _messages(refused)
    assert _client(disposer).post(f"{url}concession/", concession).status_code == 403
    with tenancy.use(org):
        assert Disposition.objects.get().concession_approved_by is None
    _client(approver).post(f"{url}concession/", concession)
    with tenancy.use(org):
        assert Disposition.objects.get().concession_approved_by == approver
    approved = _client(approver).get(url).content.decode()
    assert "Approve concession" not in approved and "Approved by" in approved


def test_the_ncr_page_offers_only_what_the_user_may_do(org, admin_user, scene):
    from shopfloor.core.tests.factories import member

    ncr = _use_as_is_awaiting_concession(org, admin_user, scene)
    url = f"/quality/ncrs/{ncr.pk}/"
    viewer = member(org, ["quality.view_ncr", "quality.view_capa"], username="vera")
    page = _client(viewer).get(url)
    html = page.content.decode()
    assert page.context["options"] == []  # no "Back to investigation" it could never make
    for action in ("Back to investigation", "Post disposition", "Sign and close", "Save investigation", "New CAPA"):
        assert action not in html

    # the closer sees why closing waits instead of a form the guard refuses
    html = _client(admin_user).get(url).content.decode()
    assert "Sign and close" not in html and "awaits its concession approval" in html

    # a disposer without production or stock permissions is offered only use as is
    disposer = member(org, ["quality.view_ncr", "quality.dispose_ncr"], username="dora")
    form = _client(disposer).get(url).context["disposition_form"]
    assert [k for k, _ in form.fields["kind"].choices] == ["use_as_is"]
    everything = _client(admin_user).get(url).context["disposition_form"]
    assert [k for k, _ in everything.fields["kind"].choices] == [
        "use_as_is",
        "rework",
        "repair",
        "scrap",
        "return_to_supplier",
    ]


def test_cancelling_an_ncr_from_its_page_asks_for_the_comment_it_needs(web, org, admin_user, scene):
    from shopfloor.quality.services import ncr as ncr_services

    with tenancy.use(org, admin_user):
        ncr = ncr_services.open_ncr(
            actor=admin_user,
            data={"plant": scene["plant"], "item": scene["item"], "quantity": "1", "source": "audit", "title": "Dent"},
        )
    url = f"/quality/ncrs/{ncr.pk}/"
    assert 'name="comment" required' in web.get(url).content.decode()
    done = web.post(f"{url}transition/", {"to_state": "cancelled", "comment": "Raised twice"}, follow=True)
    assert done.context["object"].status == "cancelled"
