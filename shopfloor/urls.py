from importlib import import_module, util

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from shopfloor.core import health
from shopfloor.core.api.auth_views import JwtObtainView, JwtRefreshView
from shopfloor.core.api.router import router
from shopfloor.core.api.routes import register as register_core_api


def _register_app_apis() -> None:
    """Import each domain app's `api` module: registering is a side effect of the import."""
    register_core_api()
    for app in settings.INSTALLED_APPS:
        if app.startswith("shopfloor.") and app != "shopfloor.core" and util.find_spec(f"{app}.api"):
            import_module(f"{app}.api")


_register_app_apis()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
    path("api/v1/auth/jwt/", JwtObtainView.as_view(), name="jwt-obtain"),
    path("api/v1/auth/jwt/refresh/", JwtRefreshView.as_view(), name="jwt-refresh"),
    path("api/v1/quality/", include("shopfloor.quality.api_urls")),
    path("api/v1/planning/", include("shopfloor.planning.api_capacity")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("workflows/", include("shopfloor.workflows.urls")),
    path("catalog/", include("shopfloor.catalog.urls")),
    path("resources/", include("shopfloor.resources.urls")),
    path("inventory/", include("shopfloor.inventory.urls")),
    path("partners/", include("shopfloor.partners.urls")),
    path("sales/", include("shopfloor.sales.urls")),
    path("purchasing/", include("shopfloor.purchasing.urls")),
    path("production/", include("shopfloor.production.urls")),
    path("quality/", include("shopfloor.quality.urls")),
    path("planning/", include("shopfloor.planning.urls")),
    path("field/", include("shopfloor.field.urls")),
    path("floor/", include("shopfloor.floor.urls")),
    path("integrations/", include("shopfloor.integrations.urls")),
    path("exchange/", include("shopfloor.exchange.urls")),
    path("", include("shopfloor.web.urls")),
]

# Under /api/ even Django's own error pages answer in the one error shape.
handler400 = "shopfloor.core.api.errors.bad_request"
handler403 = "shopfloor.core.api.errors.permission_denied"
handler404 = "shopfloor.core.api.errors.page_not_found"
handler500 = "shopfloor.core.api.errors.server_error"
