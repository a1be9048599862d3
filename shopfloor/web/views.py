"""Web pages of the shell: thin views over core's selectors and services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.views import View
from django.views.generic import TemplateView

from shopfloor.core import access, notifications, selectors, services, tenancy
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import (
    ApiTokenForm,
    CustomFieldForm,
    MemberAddForm,
    MembershipForm,
    OrganizationCreateForm,
    OrganizationForm,
    PlantForm,
    RoleForm,
    TypeListEntryForm,
    TypeListForm,
    apply_validation_error,
)
from shopfloor.core.models import (
    ApiToken,
    CustomFieldDefinition,
    Membership,
    Organization,
    Plant,
    Role,
    TypeList,
    TypeListEntry,
)
from shopfloor.core.views import (
    ObjectActionView,
    ObjectCreateView,
    ObjectDetailView,
    ObjectListView,
    ObjectUpdateView,
    ServiceFormView,
    TenantViewMixin,
    safe_next,
)

# --- Authentication ------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:password-change-done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "web/password_change_done.html"


# --- Dashboard -----------------------------------------------------------------------------------


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "web/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organization = getattr(self.request, "organization", None)
        user = self.request.user
        context["activity"] = list(selectors.recent_activity(25)) if organization else []
        if organization is not None:
            stats = []
            if access.has_perm(user, "core.view_plant"):
                stats.append(("Plants", Plant.objects.filter(is_active=True).count(), reverse("web:plant-list")))
            if access.has_perm(user, "core.view_membership"):
                stats.append(("Members", Membership.objects.filter(is_active=True).count(), reverse("web:member-list")))
            if access.has_perm(user, "core.view_role"):
                stats.append(("Roles", Role.objects.count(), reverse("web:role-list")))
            if access.has_perm(user, "core.view_typelist"):
                stats.append(("Type lists", TypeList.objects.count(), reverse("web:typelist-list")))
            context["stats"] = stats
        return context


# --- Shell actions: switchers and theme ------------------------------------------------------------


def _back(request: HttpRequest) -> str:
    return safe_next(request, reverse("web:dashboard"))


class SwitchOrganizationView(LoginRequiredMixin, View):
    """Act in another organization: only one the user is an active member of (superusers: any)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        slug = request.POST.get("organization", "")
        organizations = Organization.objects.filter(is_active=True)
        if not request.user.is_superuser:
            organizations = organizations.filter(
                pk__in=Membership.objects.unscoped().filter(user=request.user, is_active=True).values("organization_id")
            )
        organization = organizations.filter(slug=slug).first()
        if organization is None:
            raise PermissionDenied("You are not a member of that organization.")
        request.session["organization"] = organization.slug
        request.session.pop("plant", None)
        messages.info(request, f"Now working in {organization.name}.")
        # The page we came from may show an object of the old organization: start afresh.
        return HttpResponseRedirect(reverse("web:dashboard"))


class SwitchPlantView(TenantViewMixin, View):
    """Work at one plant (or all): a plant of this organization the user may work at."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        value = request.POST.get("plant", "")
        if not value:
            request.session.pop("plant", None)
            return HttpResponseRedirect(_back(request))
        if not value.isdigit():
            raise Http404("No such plant.")
        plant = get_object_or_404(Plant.objects.filter(is_active=True), pk=int(value))
        if not access.works_at(request.user, plant.pk):
            raise PermissionDenied(f"You do not work at plant {plant.code}.")
        request.session["plant"] = plant.pk
        return HttpResponseRedirect(_back(request))


class ThemeView(LoginRequiredMixin, View):
    """Save the colour theme; the page flips it at once in the browser, htmx saves it here."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.set_theme(actor=request.user, theme=request.POST.get("theme", ""))
        except ValidationError as exc:
            if request.htmx:
                return HttpResponse(" ".join(exc.messages), status=400)
            messages.error(request, " ".join(exc.messages))
        if request.htmx:
            return HttpResponse(status=204)
        return HttpResponseRedirect(_back(request))


# --- Organization --------------------------------------------------------------------------------


class OrganizationSettingsView(ServiceFormView):
    permission_required = "core.view_organization"
    form_class = OrganizationForm
    template_name = "web/organization_settings.html"
    title = "Organization"
    success_message = "Organization saved."

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = tenancy.require_organization()
        return kwargs

    def perform(self, form: OrganizationForm) -> Organization:
        return services.update_organization(
            actor=self.request.user, organization=tenancy.require_organization(), data=form.service_data()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = access.has_perm(self.request.user, "core.change_organization")
        if self.request.user.is_superuser:
            context["all_organizations"] = Organization.objects.order_by("name")
            context["create_form"] = kwargs.get("create_form") or OrganizationCreateForm()
        return context


class OrganizationCreateView(LoginRequiredMixin, View):
    """Platform administrators create organizations (the service refuses anyone else)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied("Only platform administrators create organizations.")
        context = {
            "create_form": OrganizationCreateForm(),
            "title": "Organizations",
            "all_organizations": Organization.objects.all(),
        }
        return render(request, "web/organization_create.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied("Only platform administrators create organizations.")
        form = OrganizationCreateForm(request.POST)
        if form.is_valid():
            admin = None
            username = form.cleaned_data["admin_username"]
            if username:
                admin = get_user_model().objects.filter(username=username).first()
                if admin is None:
                    form.add_error("admin_username", "There is no user with that username.")
            if not form.errors:
                try:
                    org = services.create_organization(
                        actor=request.user,
                        name=form.cleaned_data["name"],
                        slug=form.cleaned_data["slug"],
                        admin=admin,
                    )
                except ValidationError as exc:
                    apply_validation_error(form, exc)
                except Conflict as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, f"Organization {org.name} created.")
                    return HttpResponseRedirect(reverse("web:organization"))
        context = {"create_form": form, "title": "New organization", "all_organizations": Organization.objects.all()}
        return render(request, "web/organization_create.html", context, status=400)


# --- Plants --------------------------------------------------------------------------------------


class PlantListView(ObjectListView):
    model = Plant
    columns = [("code", "Code"), ("name", "Name"), ("timezone", "Time zone"), ("is_active", "Active")]
    search_fields = ["code", "name", "address"]
    filters = {"active": "is_active"}
    create_url_name = "web:plant-create"
    detail_url_name = "web:plant-detail"


class PlantDetailView(ObjectDetailView):
    model = Plant
    fields = [
        ("code", "Code"),
        ("name", "Name"),
        ("timezone", "Time zone"),
        ("address", "Address"),
        ("is_active", "Active"),
        ("created_at", "Created"),
    ]
    edit_url_name = "web:plant-edit"
    list_url_name = "web:plant-list"


class PlantCreateView(ObjectCreateView):
    model = Plant
    form_class = PlantForm
    service = services.create_plant
    detail_url_name = "web:plant-detail"
    cancel_url_name = "web:plant-list"
    success_message = "Plant {object.code} created."


class PlantUpdateView(ObjectUpdateView):
    model = Plant
    form_class = PlantForm
    detail_url_name = "web:plant-detail"
    success_message = "Plant {object.code} saved."

    def perform(self, form: PlantForm) -> Plant:
        return services.update_plant(actor=self.request.user, plant=self.get_object(), data=form.service_data())


# --- Members -------------------------------------------------------------------------------------


class MemberListView(ObjectListView):
    model = Membership
    template_name = "web/member_list.html"
    title = "Members"
    columns = [
        ("user.username", "Username"),
        ("user.display_name", "Name"),
        ("user.email", "Email"),
        ("roles", "Roles"),
        ("plants", "Plants"),
        ("is_active", "Active"),
    ]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    filters = {"active": "is_active"}
    create_url_name = "web:member-add"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return super().get_queryset().select_related("user").prefetch_related("roles", "plants")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = access.has_perm(self.request.user, "core.change_membership")
        return context


class MemberAddView(ServiceFormView):
    permission_required = "core.add_membership"
    form_class = MemberAddForm
    title = "Add a member"
    cancel_url_name = "web:member-list"

    def perform(self, form: MemberAddForm) -> Membership:
        data = form.cleaned_data
        if data["mode"] == "new":
            return services.create_user_and_member(
                actor=self.request.user,
                username=data["username"],
                email=data["email"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=data["roles"],
                plants=data["plants"],
            )
        user = get_user_model().objects.filter(username=data["username"], is_active=True).first()
        if user is None:
            raise ValidationError({"username": ["There is no active user with that username."]})
        return services.add_member(actor=self.request.user, user=user, roles=data["roles"], plants=data["plants"])

    success_message = "{object.user.username} is now a member."

    def result_url(self, obj: Membership) -> str:
        return reverse("web:member-list")


class MemberUpdateView(ObjectUpdateView):
    model = Membership
    form_class = MembershipForm
    cancel_url_name = "web:member-list"
    success_message = "Membership of {object.user.username} saved."

    def perform(self, form: MembershipForm) -> Membership:
        data = form.cleaned_data
        return services.update_membership(
            actor=self.request.user,
            membership=self.get_object(),
            roles=data["roles"],
            plants=data["plants"],
            is_active=data["is_active"],
        )

    def result_url(self, obj: Membership) -> str:
        return reverse("web:member-list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = f"Membership of {self.get_object().user.display_name}"
        context["cancel_url"] = reverse("web:member-list")
        return context


class MemberDeactivateView(ObjectActionView):
    model = Membership
    permission_required = "core.change_membership"
    success_message = "{object.user.username} can no longer work in this organization."
    success_url_name = "web:member-list"

    def perform(self, obj: Membership) -> Any:
        return services.update_membership(actor=self.request.user, membership=obj, is_active=False)


# --- Roles ---------------------------------------------------------------------------------------


class RoleListView(ObjectListView):
    model = Role
    columns = [("name", "Name"), ("description", "Description"), ("template", "From template")]
    search_fields = ["name", "description"]
    create_url_name = "web:role-create"
    detail_url_name = "web:role-detail"


class RoleDetailView(ObjectDetailView):
    model = Role
    template_name = "web/role_detail.html"
    fields = [("name", "Name"), ("description", "Description"), ("template", "From template")]
    edit_url_name = "web:role-edit"
    list_url_name = "web:role-list"


class RoleCreateView(ObjectCreateView):
    model = Role
    form_class = RoleForm
    template_name = "web/role_form.html"
    service = services.create_role
    detail_url_name = "web:role-detail"
    cancel_url_name = "web:role-list"
    success_message = "Role {object.name} created."


class RoleUpdateView(ObjectUpdateView):
    model = Role
    form_class = RoleForm
    template_name = "web/role_form.html"
    detail_url_name = "web:role-detail"
    success_message = "Role {object.name} saved."

    def perform(self, form: RoleForm) -> Role:
        return services.update_role(actor=self.request.user, role=self.get_object(), data=form.service_data())


# --- Custom fields -------------------------------------------------------------------------------


class CustomFieldListView(ObjectListView):
    model = CustomFieldDefinition
    title = "Custom fields"
    columns = [
        ("model", "Applies to"),
        ("key", "Key"),
        ("label", "Label"),
        ("field_type", "Type"),
        ("required", "Required"),
        ("is_active", "Active"),
    ]
    search_fields = ["key", "label", "model"]
    filters = {"active": "is_active"}
    create_url_name = "web:customfield-create"
    detail_url_name = "web:customfield-edit"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return super().get_queryset().select_related("type_list")


class CustomFieldCreateView(ObjectCreateView):
    model = CustomFieldDefinition
    form_class = CustomFieldForm
    title = "New custom field"
    service = services.create_custom_field
    cancel_url_name = "web:customfield-list"
    success_message = "Custom field {object.label} created."

    def result_url(self, obj: CustomFieldDefinition) -> str:
        return reverse("web:customfield-list")


class CustomFieldUpdateView(ObjectUpdateView):
    model = CustomFieldDefinition
    form_class = CustomFieldForm
    cancel_url_name = "web:customfield-list"
    success_message = "Custom field {object.label} saved."

    def perform(self, form: CustomFieldForm) -> CustomFieldDefinition:
        return services.update_custom_field(
            actor=self.request.user, definition=self.get_object(), data=form.service_data()
        )

    def result_url(self, obj: CustomFieldDefinition) -> str:
        return reverse("web:customfield-list")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("web:customfield-list")
        return context


# --- Type lists ----------------------------------------------------------------------------------


class TypeListListView(ObjectListView):
    model = TypeList
    title = "Type lists"
    columns = [("key", "Key"), ("name", "Name"), ("description", "Description")]
    search_fields = ["key", "name"]
    create_url_name = "web:typelist-create"
    detail_url_name = "web:typelist-detail"


class TypeListCreateView(ObjectCreateView):
    model = TypeList
    form_class = TypeListForm
    title = "New type list"
    service = services.create_type_list
    detail_url_name = "web:typelist-detail"
    cancel_url_name = "web:typelist-list"
    success_message = "Type list {object.name} created."


class TypeListDetailView(ObjectDetailView):
    model = TypeList
    template_name = "web/typelist_detail.html"
    fields = [("key", "Key"), ("name", "Name"), ("description", "Description")]
    list_url_name = "web:typelist-list"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["entries"] = TypeListEntry.objects.filter(type_list=self.get_object())
        if access.has_perm(self.request.user, "core.change_typelist"):
            context["entry_form"] = TypeListEntryForm()
        return context


class TypeListEntryCreateView(TenantViewMixin, View):
    """Add an entry; with htmx the answer is the new table row (`_row.html`), else a redirect."""

    permission_required = "core.change_typelist"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        type_list = get_object_or_404(TypeList.objects.all(), pk=pk)
        form = TypeListEntryForm(request.POST)
        if form.is_valid():
            try:
                entry = services.create_type_list_entry(
                    actor=request.user, data={**form.service_data(), "type_list": type_list}
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                if not request.htmx:
                    messages.success(request, f"Entry {entry.value} added.")
                    return HttpResponseRedirect(reverse("web:typelist-detail", args=[pk]))
                return render(request, "web/typelist/_row.html", {"entry": entry})
        if not request.htmx:
            for field, errors in form.errors.items():
                messages.error(request, f"{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors))
            return HttpResponseRedirect(reverse("web:typelist-detail", args=[pk]))
        response = render(request, "web/typelist/_entry_form.html", {"entry_form": form, "object": type_list})
        response["HX-Retarget"] = "#entry-form"
        response["HX-Reswap"] = "outerHTML"
        return response


# --- API tokens ----------------------------------------------------------------------------------


class ApiTokenListView(TenantViewMixin, TemplateView):
    """The user's own tokens; creating one shows its secret on this page once."""

    template_name = "web/api_tokens.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tokens"] = ApiToken.objects.filter(user=self.request.user).order_by("-created_at")
        context["can_create"] = access.has_perm(self.request.user, "core.add_apitoken")
        context.setdefault("form", ApiTokenForm())
        context["title"] = "API tokens"
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiTokenForm(request.POST)
        context: dict[str, Any] = {"form": form}
        if form.is_valid():
            try:
                token, secret = services.create_api_token(
                    actor=request.user, name=form.cleaned_data["name"], expires_at=form.cleaned_data["expires_at"]
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                context.update(form=ApiTokenForm(), new_token=token, secret=secret)
        status = 200 if form.is_valid() and not form.errors else 400
        response = self.render_to_response(self.get_context_data(**context))
        response.status_code = status
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenRevokeView(ObjectActionView):
    model = ApiToken
    success_message = "Token {object.name} revoked."
    success_url_name = "web:api-tokens"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        # Administrators may revoke others' tokens through the API; this page lists one's own.
        return ApiToken.objects.filter(user=self.request.user)

    def perform(self, obj: ApiToken) -> Any:
        return services.revoke_api_token(actor=self.request.user, token=obj)


# --- Authenticator app (TOTP) -----------------------------------------------------------------


class AuthenticatorView(LoginRequiredMixin, View):
    """Set up or remove the authenticator app whose codes electronic signatures then ask for."""

    template_name = "web/authenticator.html"

    def _render(self, request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
        pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        setup = None
        if pending is not None and not confirmed:
            import base64

            import segno

            setup = {
                "secret": base64.b32encode(pending.bin_key).decode().rstrip("="),
                "uri": pending.config_url,
                "qr_svg": segno.make(pending.config_url, error="m").svg_inline(scale=4, dark="#111", light="#fff"),
            }
        return render(
            request,
            self.template_name,
            {"title": "Authenticator app", "confirmed": confirmed, "setup": setup, **context},
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "")
        try:
            if action == "start":
                services.start_authenticator(actor=request.user)
            elif action == "confirm":
                services.confirm_authenticator(actor=request.user, code=request.POST.get("code", ""))
                messages.success(request, "Authenticator app set up: signing now asks for its code.")
            elif action == "remove":
                services.remove_authenticator(
                    actor=request.user, password=request.POST.get("password", ""), request=request
                )
                messages.success(request, "Authenticator app removed.")
            else:
                return self._render(request, status=400, errors=["Unknown action."])
        except ValidationError as exc:
            return self._render(request, status=400, errors=exc.messages)
        except Conflict as exc:
            return self._render(request, status=400, errors=[exc.message])
        return HttpResponseRedirect(reverse("web:authenticator"))


# --- Inbox: the user's own notifications and how they arrive --------------------------------------


class InboxView(TenantViewMixin, TemplateView):
    """Your notifications, unread first, each linking to what it is about."""

    template_name = "web/inbox.html"
    permission_required = "core.view_notification"
    paginate_by = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(notifications.inbox(self.request.user), self.paginate_by).get_page(
            self.request.GET.get("page")
        )
        context.update(
            title="Inbox",
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            items=page.object_list,
            can_mark=access.has_perm(self.request.user, "core.change_notification"),
        )
        return context


class NotificationReadView(TenantViewMixin, View):
    """Mark one notification read: htmx swaps the row (and the header count), else back to the inbox."""

    http_method_names = ["post"]
    permission_required = "core.change_notification"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = get_object_or_404(notifications.own_notifications(request.user), pk=pk)
        row = notifications.mark_read(actor=request.user, notification=row)
        if request.headers.get("HX-Request"):
            return render(request, "web/_notification.html", {"n": row, "can_mark": True, "oob_count": True})
        return HttpResponseRedirect(safe_next(request, reverse("web:inbox")))


class NotificationReadAllView(TenantViewMixin, View):
    http_method_names = ["post"]
    permission_required = "core.change_notification"

    def post(self, request: HttpRequest) -> HttpResponse:
        count = notifications.mark_all_read(actor=request.user)
        messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked read.")
        return HttpResponseRedirect(reverse("web:inbox"))


class NotificationPreferencesView(TenantViewMixin, TemplateView):
    """One row per kind of notification with in-app and e-mail switches; saves what changed."""

    template_name = "web/notification_preferences.html"
    permission_required = "core.view_notification"

    def rows(self) -> list[dict[str, Any]]:
        own = list(notifications.own_preferences(self.request.user))
        labels = notifications.event_types()
        for pref in own:  # patterns set through the API show here too
            labels.setdefault(pref.event_type, pref.event_type)
        rows = []
        for event_type, label in labels.items():
            channels = notifications.channels_for(own, event_type)
            rows.append({"event_type": event_type, "label": label, "in_app": channels.in_app, "email": channels.email})
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            title="Notification settings",
            rows=self.rows(),
            can_edit=access.has_perm(user, "core.add_notificationpreference")
            and access.has_perm(user, "core.change_notificationpreference"),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        changed = 0
        for row in self.rows():
            in_app = f"{row['event_type']}:in_app" in request.POST
            email = f"{row['event_type']}:email" in request.POST
            if (in_app, email) != (row["in_app"], row["email"]):
                notifications.set_preference(
                    actor=request.user, event_type=row["event_type"], in_app=in_app, email=email
                )
                changed += 1
        messages.success(request, "Notification settings saved." if changed else "Nothing changed.")
        return HttpResponseRedirect(reverse("web:notification-preferences"))
