from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("account/authenticator/", views.AuthenticatorView.as_view(), name="authenticator"),
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("switch/organization/", views.SwitchOrganizationView.as_view(), name="switch-organization"),
    path("switch/plant/", views.SwitchPlantView.as_view(), name="switch-plant"),
    path("theme/", views.ThemeView.as_view(), name="theme"),
    path("organization/", views.OrganizationSettingsView.as_view(), name="organization"),
    path("organizations/new/", views.OrganizationCreateView.as_view(), name="organization-create"),
    path("plants/", views.PlantListView.as_view(), name="plant-list"),
    path("plants/new/", views.PlantCreateView.as_view(), name="plant-create"),
    path("plants/<int:pk>/", views.PlantDetailView.as_view(), name="plant-detail"),
    path("plants/<int:pk>/edit/", views.PlantUpdateView.as_view(), name="plant-edit"),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/add/", views.MemberAddView.as_view(), name="member-add"),
    path("members/<int:pk>/edit/", views.MemberUpdateView.as_view(), name="member-edit"),
    path("members/<int:pk>/deactivate/", views.MemberDeactivateView.as_view(), name="member-deactivate"),
    path("roles/", views.RoleListView.as_view(), name="role-list"),
    path("roles/new/", views.RoleCreateView.as_view(), name="role-create"),
    path("roles/<int:pk>/", views.RoleDetailView.as_view(), name="role-detail"),
    path("roles/<int:pk>/edit/", views.RoleUpdateView.as_view(), name="role-edit"),
    path("custom-fields/", views.CustomFieldListView.as_view(), name="customfield-list"),
    path("custom-fields/new/", views.CustomFieldCreateView.as_view(), name="customfield-create"),
    path("custom-fields/<int:pk>/edit/", views.CustomFieldUpdateView.as_view(), name="customfield-edit"),
    path("type-lists/", views.TypeListListView.as_view(), name="typelist-list"),
    path("type-lists/new/", views.TypeListCreateView.as_view(), name="typelist-create"),
    path("type-lists/<int:pk>/", views.TypeListDetailView.as_view(), name="typelist-detail"),
    path("type-lists/<int:pk>/entries/", views.TypeListEntryCreateView.as_view(), name="typelist-entry-create"),
    path("api-tokens/", views.ApiTokenListView.as_view(), name="api-tokens"),
    path("api-tokens/<int:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="api-token-revoke"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/read-all/", views.NotificationReadAllView.as_view(), name="inbox-read-all"),
    path("inbox/<int:pk>/read/", views.NotificationReadView.as_view(), name="notification-read"),
    path("inbox/preferences/", views.NotificationPreferencesView.as_view(), name="notification-preferences"),
]
