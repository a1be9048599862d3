"""What every page's shell needs: organizations to switch between, plants, theme, navigation."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

# (section, label, url name, permission needed to see it; None = every member)
NAVIGATION: list[tuple[str, str, str, str | None]] = [
    ("", "Dashboard", "web:dashboard", None),
    ("Operations", "Plants", "web:plant-list", "core.view_plant"),
    ("Operations", "Change requests", "workflows:changerequest-list", "workflows.view_changerequest"),
    ("Engineering", "Items", "catalog:item-list", "catalog.view_item"),
    ("Engineering", "Units", "catalog:unit-list", "catalog.view_unit"),
    ("Engineering", "Documents", "catalog:document-list", "catalog.view_document"),
    ("Engineering", "Routings", "resources:routing-list", "resources.view_routing"),
    ("Resources", "Work centers", "resources:workcenter-list", "resources.view_workcenter"),
    ("Resources", "Machines", "resources:machine-list", "resources.view_machine"),
    ("Resources", "Calendars", "resources:calendar-list", "resources.view_workingcalendar"),
    ("Resources", "Capabilities", "resources:capability-list", "resources.view_capability"),
    ("Inventory", "Receive", "inventory:receive", "inventory.add_stockmove"),
    ("Inventory", "Move", "inventory:transfer", "inventory.add_stockmove"),
    ("Inventory", "Issue", "inventory:issue", "inventory.add_stockmove"),
    ("Inventory", "Count", "inventory:count", "inventory.add_cyclecount"),
    ("Inventory", "Balances", "inventory:balances", "inventory.view_stockbalance"),
    ("Inventory", "Ledger", "inventory:ledger", "inventory.view_stockmove"),
    ("Inventory", "Locations", "inventory:location-tree", "inventory.view_location"),
    ("Production", "Work orders", "production:workorder-list", "production.view_workorder"),
    ("Production", "Genealogy", "production:genealogy", "production.view_genealogylink"),
    ("Shop floor", "Terminal", "floor:terminal", "production.view_workorder"),
    ("Shop floor", "Print labels", "floor:labels", "inventory.view_location"),
    ("Planning", "MRP", "planning:mrp-run-list", "planning.view_mrprun"),
    ("Planning", "Forecasts", "planning:forecast-list", "planning.view_forecast"),
    ("Planning", "Capacity", "planning:capacity", "planning.view_mrprun"),
    ("Planning", "Schedule", "planning:schedule", "planning.view_schedulerun"),
    ("Partners", "Customers", "partners:customer-list", "partners.view_customer"),
    ("Partners", "Rigs", "partners:rig-list", "partners.view_rig"),
    ("Partners", "Wells", "partners:well-list", "partners.view_well"),
    ("Partners", "Suppliers", "partners:supplier-list", "partners.view_supplier"),
    ("Sales", "Sales orders", "sales:order-list", "sales.view_salesorder"),
    ("Purchasing", "Purchase orders", "purchasing:order-list", "purchasing.view_purchaseorder"),
    ("Purchasing", "Receipts", "purchasing:receipt-list", "purchasing.view_receipt"),
    ("Purchasing", "Purchasing rules", "purchasing:settings", "purchasing.change_purchasingsettings"),
    ("Field", "Field assets", "field:asset-list", "field.view_fieldasset"),
    ("Quality", "Inspections", "quality:inspection-list", "quality.view_inspection"),
    ("Quality", "Inspection plans", "quality:plan-list", "quality.view_inspectionplan"),
    ("Quality", "SPC", "quality:spc", "quality.view_spc"),
    ("Quality", "NCRs", "quality:ncr-list", "quality.view_ncr"),
    ("Quality", "CAPA", "quality:capa-list", "quality.view_capa"),
    ("Quality", "Quality dashboard", "quality:dashboard", "quality.view_ncr"),
    ("Administration", "Organization", "web:organization", "core.view_organization"),
    ("Administration", "Members", "web:member-list", "core.view_membership"),
    ("Administration", "Roles", "web:role-list", "core.view_role"),
    ("Administration", "Webhooks", "integrations:webhook-list", "integrations.change_webhooksubscription"),
    ("Configuration", "Custom fields", "web:customfield-list", "core.view_customfielddefinition"),
    ("Configuration", "Type lists", "web:typelist-list", "core.view_typelist"),
    ("Configuration", "Workflows", "workflows:definition-list", "workflows.change_workflowdefinition"),
    ("Configuration", "Import / export", "exchange:home", "exchange.view_importjob"),
    ("Account", "Inbox", "web:inbox", "core.view_notification"),
    ("Account", "API tokens", "web:api-tokens", None),
    ("Account", "Password", "web:password-change", None),
]


@functools.lru_cache(maxsize=512)
def _menu_url(name: str, urlconf: Any, prefix: str) -> str:
    """The menu's addresses never change while a URLconf is loaded: reversing all 60-odd on
    every page was a tenth of a page's CPU. Keyed by URLconf and script prefix to stay right
    when either differs (tests, a deployment under a sub-path)."""
    return reverse(name, urlconf=urlconf)


def navigation(request: HttpRequest) -> list[dict[str, Any]]:
    """The menu, holding only what the user may see, as sections of links."""
    from shopfloor.core import access

    user = request.user
    in_org = getattr(request, "organization", None) is not None
    sections: list[dict[str, Any]] = []
    for section, label, url_name, perm in NAVIGATION:
        if perm is not None and not (in_org and access.has_perm(user, perm)):
            continue
        if not in_org and url_name not in {"web:dashboard", "web:password-change"}:
            continue
        url = _menu_url(url_name, get_urlconf(), get_script_prefix())
        active = request.path == url or (url != "/" and request.path.startswith(url))
        if not sections or sections[-1]["title"] != section:
            sections.append({"title": section, "links": []})
        sections[-1]["links"].append({"label": label, "url": url, "active": active})
    if getattr(user, "is_superuser", False) and not in_org:
        sections.append(
            {
                "title": "Platform",
                "links": [
                    {
                        "label": "Organizations",
                        "url": reverse("web:organization-create"),
                        "active": request.path == reverse("web:organization-create"),
                    }
                ],
            }
        )
    return sections


def _unread_notifications(user: Any, organization: Any) -> int:
    from shopfloor.core.models import Notification

    if organization is None:
        return 0
    return Notification.objects.unscoped().filter(organization=organization, recipient=user, read_at=None).count()


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from shopfloor.core import access
    from shopfloor.core.models import Organization, Plant

    organization = getattr(request, "organization", None)
    organizations: Any
    if user.is_superuser:
        organizations = Organization.objects.filter(is_active=True)
    else:  # the memberships this request already read for its permissions
        organizations = access.organizations_of(user)
    plants: Any = []
    if organization is not None:
        plants = Plant.objects.unscoped().filter(organization=organization, is_active=True)
        allowed = access.allowed_plant_ids(user, organization)
        if allowed is not None:
            plants = plants.filter(pk__in=allowed)
    return {
        "current_organization": organization,
        "current_plant": getattr(request, "plant", None),
        "switch_organizations": organizations,
        "switch_plants": plants,
        "theme": user.theme,
        # Lazy: built only by a page that shows the menu (a floor terminal never does).
        "navigation": SimpleLazyObject(lambda: navigation(request)),
        # Lazy: one COUNT on the inbox index, run only when a template shows the badge.
        "unread_notifications": SimpleLazyObject(lambda: _unread_notifications(user, organization)),
    }
