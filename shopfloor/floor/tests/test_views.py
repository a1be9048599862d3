"""Terminal pages, travellers and label printing through the web face."""

from __future__ import annotations

import pytest

from shopfloor.core import tenancy
from shopfloor.core.tests.factories import member
from shopfloor.production.tests.factories import released_order

from . import pdfcheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, admin_user):
    client.force_login(admin_user)
    return client


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def follow(client, response):
    assert response.status_code == 302, response.content[:300]
    return client.get(response["Location"])


def test_terminal_needs_a_login(client):
    response = client.get("/floor/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_home_lists_released_orders_and_focuses_the_scan_field(web, tenant):
    wo = released_order()
    response = web.get("/floor/")
    assert response.status_code == 200
    body = response.content.decode()
    assert wo.number in body
    assert "data-scan-field" in body and "autofocus" in body


def test_a_shift_on_the_terminal_scan_start_complete_issue(web, tenant, admin_user):
    wo = released_order(quantity=10, per_unit=2, stock=100)
    op = wo.operations.get(sequence=10)
    lot = wo.materials.get().component.lots.get()

    page = follow(web, web.post("/floor/scan/", {"code": wo.number}))
    assert page.context["work_order"] == wo
    page = follow(web, web.post("/floor/scan/", {"code": f"{wo.number}/10", "context": f"wo:{wo.pk}"}))
    assert page.context["operation"] == op
    assert page.context["scan_form"].initial["context"] == f"op:{op.pk}"

    page = follow(web, web.post("/floor/scan/", {"code": "START", "context": f"op:{op.pk}"}))
    assert shown_messages(page) == ["Operation 10 started."]
    assert page.context["operation"].status == "in_progress"

    page = follow(
        web, web.post("/floor/scan/", {"code": f"LOT:{lot.item.number}:{lot.number}", "context": f"op:{op.pk}"})
    )
    form = page.context["issue_form"]
    assert (form.initial["lot"], form.initial["quantity"]) == (lot.pk, "20")
    body = {"lot": lot.pk, "location": form.initial["location"], "quantity": "20", "key": form.initial["key"]}
    page = follow(web, web.post(f"/floor/op/{op.pk}/issue/", body))
    assert shown_messages(page) == [
        f"Issued 20 {lot.item.stock_unit.code} of {lot.item.number} lot {lot.number} "
        f"from {wo.issue_location.code} to {wo.number}."
    ]
    web.post(f"/floor/op/{op.pk}/issue/", body)  # the scanner's double Enter
    assert wo.material_issues.count() == 1

    page = follow(web, web.post("/floor/scan/", {"code": "COMPLETE", "context": f"op:{op.pk}"}))
    assert page.context["complete_form"] is not None and page.context["received"] == 10
    page = follow(
        web, web.post(f"/floor/operations/{op.pk}/complete/", {"good": "8", "scrap": "2", "scrap_reason": "material"})
    )
    assert shown_messages(page) == ["Operation 10 completed: 8 good, 2 scrap."]
    op.refresh_from_db()
    assert (op.status, op.good_quantity, op.scrap_quantity, op.operator) == ("completed", 8, 2, admin_user)


def test_refusals_are_messages_on_the_same_screen_and_write_nothing(web, tenant):
    wo = released_order(quantity=10)
    op = wo.operations.get(sequence=10)
    page = follow(web, web.post("/floor/scan/", {"code": "NONSENSE", "context": f"op:{op.pk}"}))
    assert page.context["operation"] == op
    assert "is not a code the terminal knows" in shown_messages(page)[0]

    web.post(f"/floor/operations/{op.pk}/start/")
    response = web.post(f"/floor/operations/{op.pk}/complete/", {"good": "12"})
    assert "step=complete" in response["Location"] and "good=12" in response["Location"]
    page = follow(web, response)
    assert "received 10" in shown_messages(page)[-1]
    assert page.context["complete_form"].initial["good"] == "12"
    op.refresh_from_db()
    assert op.status == "in_progress"


def test_buttons_do_what_the_commands_do(web, tenant):
    op = released_order().operations.get(sequence=10)
    follow(web, web.post(f"/floor/operations/{op.pk}/start/"))
    page = follow(web, web.post(f"/floor/operations/{op.pk}/pause/"))
    assert shown_messages(page) == ["Operation 10 paused."]
    page = follow(web, web.post(f"/floor/operations/{op.pk}/resume/"))
    assert page.context["operation"].status == "in_progress"


def test_a_viewer_sees_the_job_card_but_cannot_start_it(client, org, tenant):
    op = released_order().operations.get(sequence=10)
    viewer = member(org, ["*.view_*"], username="watcher")
    client.force_login(viewer)
    page = client.get(f"/floor/operations/{op.pk}/")
    assert page.status_code == 200 and not page.context["can_work"]
    page = follow(client, client.post("/floor/scan/", {"code": "START", "context": f"op:{op.pk}"}))
    assert "production.change_operation" in shown_messages(page)[0]
    op.refresh_from_db()
    assert op.status == "pending"


def test_another_organizations_job_card_is_404(web, org, other_org):
    with tenancy.use(other_org):
        foreign = released_order(organization=other_org).operations.first()
    assert web.get(f"/floor/operations/{foreign.pk}/").status_code == 404
    assert web.post(f"/floor/operations/{foreign.pk}/start/").status_code == 404
    assert web.post(f"/floor/op/{foreign.pk}/issue/", {"quantity": "1"}).status_code == 404
    assert web.post(f"/floor/cheese/{foreign.pk}/issue/").status_code == 404


def test_traveller_is_a4_with_a_qr_per_operation(web, tenant):
    wo = released_order(operations=3)
    response = web.get(f"/floor/work-orders/{wo.pk}/traveller/")
    assert response["Content-Type"] == "application/pdf"
    pages = pdfcheck.read(response.content)
    assert (pages[0].width_mm, pages[0].height_mm) == (210.0, 297.0)
    texts = [t for p in pages for t in p.texts]
    assert wo.number in texts
    for sequence in (10, 20, 30):
        assert f"{wo.number}/{sequence}" in texts
    assert {"START", "PAUSE", "RESUME", "COMPLETE"} <= set(texts)  # the command strip
    # Four QR codes: the order's and one per operation, each a whole number of modules square.
    assert sum(1 for p in pages for r in p.rects if r[2] > 0) > 4 * 50


def test_traveller_api_lists_the_codes_it_prints(api, tenant):
    wo = released_order(operations=2)
    body = api.get(f"/api/v1/floor/travellers/{wo.pk}/").json()
    assert body["code"] == wo.number
    assert [o["code"] for o in body["operations"]] == [f"{wo.number}/10", f"{wo.number}/20"]
    response = api.get(f"/api/v1/floor/travellers/{wo.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_label_pages_print_what_was_scanned(web, tenant):
    wo = released_order()
    lot = wo.materials.get().component.lots.get()
    codes_text = f"LOT:{lot.item.number}:{lot.number}\nLOC:{wo.plant.code}:{wo.issue_location.code}\n"
    response = web.post("/floor/labels/", {"codes": codes_text, "size": "62x29", "copies": "2", "barcode": "on"})
    assert response["Content-Type"] == "application/pdf"
    pages = pdfcheck.read(response.content)
    assert [p.texts[-1] for p in pages] == [
        f"LOT:{lot.item.number}:{lot.number}",
        f"LOT:{lot.item.number}:{lot.number}",
        f"LOC:{wo.plant.code}:{wo.issue_location.code}",
        f"LOC:{wo.plant.code}:{wo.issue_location.code}",
    ]
    response = web.post("/floor/labels/", {"codes": "LOT:NOPE:1\nLOC:XX:YY", "size": "62x29", "copies": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors["codes"] == ["No lot 1 of NOPE.", "No location YY at plant XX."]


def test_one_label_by_url_and_size(web, tenant):
    wo = released_order()
    response = web.get(f"/floor/labels/location/{wo.issue_location.pk}/", {"size": "62x29"})
    (page,) = pdfcheck.read(response.content)
    assert (page.width_mm, page.height_mm) == (62.0, 29.0)
    assert web.get(f"/floor/labels/location/{wo.issue_location.pk}/", {"size": "A4"}).status_code == 400
    assert web.get("/floor/labels/cheese/1/").status_code == 404


@pytest.mark.parametrize("url", ["/floor/operations/{op}/", "/floor/work-orders/{wo}/", "/floor/"])
def test_terminal_pages_cost_the_same_queries_for_2_or_6_operations(web, tenant, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for operations in (2, 6):
        wo = released_order(operations=operations)
        op = wo.operations.get(sequence=10)
        web.get(url.format(op=op.pk, wo=wo.pk))  # warm per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert web.get(url.format(op=op.pk, wo=wo.pk)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- The tablet: htmx requests that swap the #terminal panel --------------------------------------

HTMX = {"HX-Request": "true", "HX-Target": "terminal"}


def panel(response, url: str) -> str:
    """The body of an htmx answer: the panel alone (no page shell), for the page at `url`, which
    the tablet's address bar shows (HX-Push-Url)."""
    assert response.status_code == 200, response.content[:300]
    assert response["HX-Push-Url"] == url
    assert [t.name for t in response.templates][:2] == ["floor/panel.html", "floor/_panel.html"]
    body = response.content.decode()
    assert body.count('id="terminal"') == 1  # what hx-select="#terminal" picks
    assert "<html" not in body and "terminal-bar" not in body and "topbar" not in body
    return body


def test_an_htmx_action_answers_at_once_with_the_panel_of_where_it_leads(web, tenant, admin_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wo = released_order(quantity=10, per_unit=2, stock=100)
    op = wo.operations.get(sequence=10)
    lot = wo.materials.get().component.lots.get()

    body = panel(web.post("/floor/scan/", {"code": wo.number}, headers=HTMX), f"/floor/work-orders/{wo.pk}/")
    assert f'value="wo:{wo.pk}"' in body and f"<title>{wo.number} · Terminal · Shopfloor</title>" in body
    body = panel(
        web.post("/floor/scan/", {"code": f"{wo.number}/10", "context": f"wo:{wo.pk}"}, headers=HTMX),
        f"/floor/operations/{op.pk}/",
    )
    assert f'value="op:{op.pk}"' in body and "data-scan-field" in body and "autofocus" in body

    response = web.post("/floor/scan/", {"code": "START", "context": f"op:{op.pk}"}, headers=HTMX)
    body = panel(response, f"/floor/operations/{op.pk}/")
    assert '<div class="message message-success">Operation 10 started.</div>' in body
    assert f" · {admin_user.display_name}</p>" in body  # the operator: the one at the terminal
    # The message was shown in that answer: the next page does not show it again.
    assert shown_messages(web.get(f"/floor/operations/{op.pk}/")) == []

    with CaptureQueriesContext(connection) as queries:
        response = web.post(
            "/floor/scan/", {"code": f"LOT:{lot.item.number}:{lot.number}", "context": f"op:{op.pk}"}, headers=HTMX
        )
    body = panel(response, f"/floor/operations/{op.pk}/?step=issue&lot={lot.pk}")
    form = response.context["issue_form"]
    assert (form.initial["lot"], form.initial["quantity"]) == (lot.pk, "20")
    # The panel shows the proposal the scan made: the lot's stock is read once, in the scan.
    assert sum('FROM "inventory_stockbalance"' in q["sql"] for q in queries.captured_queries) == 1
    place = wo.issue_location
    assert f'<option value="{place.pk}" selected>{place.code} (100 on hand)</option>' in body
    # The issue form's Cancel goes back to the job card, not to the POST's address.
    assert f'href="/floor/operations/{op.pk}/" hx-get="/floor/operations/{op.pk}/" data-cancel' in body
    data = {"lot": lot.pk, "location": form.initial["location"], "quantity": "20", "key": form.initial["key"]}
    body = panel(web.post(f"/floor/op/{op.pk}/issue/", data, headers=HTMX), f"/floor/operations/{op.pk}/")
    assert f"Issued 20 {lot.item.stock_unit.code} of {lot.item.number} lot {lot.number}" in body
    assert wo.materials.get().issued_quantity == 20

    response = web.post("/floor/scan/", {"code": "COMPLETE", "context": f"op:{op.pk}"}, headers=HTMX)
    body = panel(response, f"/floor/operations/{op.pk}/?step=complete")
    assert response.context["received"] == 10 and "data-step-form" in body
    response = web.post(f"/floor/operations/{op.pk}/complete/", {"good": "10", "scrap": ""}, headers=HTMX)
    assert "Operation 10 completed: 10 good." in panel(response, f"/floor/operations/{op.pk}/")
    op.refresh_from_db()
    assert (op.status, op.good_quantity) == ("completed", 10)


def test_an_htmx_refusal_shows_its_message_in_the_panel_and_writes_nothing(web, tenant):
    from shopfloor.inventory.models import StockMove
    from shopfloor.workflows.models import TransitionRecord

    wo = released_order(quantity=10)
    op = wo.operations.get(sequence=10)
    body = panel(
        web.post("/floor/scan/", {"code": "NONSENSE", "context": f"op:{op.pk}"}, headers=HTMX),
        f"/floor/operations/{op.pk}/",
    )
    assert 'class="message message-error">' in body and "is not a code the terminal knows" in body

    web.post(f"/floor/operations/{op.pk}/start/", headers=HTMX)
    op.refresh_from_db()
    before = (op.status, op.good_quantity, StockMove.objects.count(), TransitionRecord.objects.count())
    response = web.post(f"/floor/operations/{op.pk}/complete/", {"good": "12"}, headers=HTMX)
    body = panel(response, f"/floor/operations/{op.pk}/?step=complete&good=12")
    assert "message-error" in body and "received 10" in body
    assert response.context["complete_form"].initial["good"] == "12"  # kept for correcting it
    op.refresh_from_db()
    assert (op.status, op.good_quantity, StockMove.objects.count(), TransitionRecord.objects.count()) == before

    # A refused issue (nothing to issue) is a message on the job card too, and moves no stock.
    lot = wo.materials.get().component.lots.get()
    data = {"lot": lot.pk, "location": wo.issue_location.pk, "quantity": "0", "key": "k-1"}
    body = panel(
        web.post(f"/floor/op/{op.pk}/issue/", data, headers=HTMX),
        f"/floor/operations/{op.pk}/?step=issue&lot={lot.pk}&location={wo.issue_location.pk}&quantity=0",
    )
    assert "message-error" in body
    assert StockMove.objects.count() == before[2] and wo.material_issues.count() == 0


def test_htmx_gets_take_the_panel_and_everything_else_the_page(web, tenant):
    wo = released_order()
    op = wo.operations.get(sequence=10)
    url = f"/floor/operations/{op.pk}/"
    response = web.get(url, headers=HTMX)
    assert [t.name for t in response.templates][:2] == ["floor/panel.html", "floor/_panel.html"]
    assert "HX-Push-Url" not in response  # htmx pushes the address it asked for
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in response["Vary"].split(",")}
    # Without htmx, an htmx request aimed elsewhere, or htmx restoring history: the whole page.
    for headers in ({}, {"HX-Request": "true", "HX-Target": "main"}, {**HTMX, "HX-History-Restore-Request": "true"}):
        response = web.get(url, headers=headers)
        assert response.templates[0].name == "floor/terminal.html", headers
        assert "terminal-bar" in response.content.decode()
    # An action without htmx still redirects (post, redirect, get) to the page htmx would push.
    response = web.post("/floor/scan/", {"code": "START", "context": f"op:{op.pk}"})
    assert (response.status_code, response["Location"]) == (302, url)


def test_an_htmx_action_checks_permissions_as_before(client, org, tenant):
    op = released_order().operations.get(sequence=10)
    client.force_login(member(org, ["*.view_*"], username="watcher"))
    body = panel(
        client.post("/floor/scan/", {"code": "START", "context": f"op:{op.pk}"}, headers=HTMX),
        f"/floor/operations/{op.pk}/",
    )
    assert "production.change_operation" in body
    op.refresh_from_db()
    assert op.status == "pending"
