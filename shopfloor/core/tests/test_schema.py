"""The OpenAPI document: generates cleanly, is committed, documents the shared conventions, and
its docs page works without the internet."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client, override_settings

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    # --fail-on-warn: a warning means some part of the API is described wrongly or not at all.
    # Generated as `make schema` does, on the embedded SQLite settings: integer bounds come from
    # the database backend, and the committed document must not depend on where tests run.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return path.read_text()


@pytest.fixture(scope="module")
def schema(generated) -> dict:
    return yaml.safe_load(generated)


def test_committed_schema_is_current(generated):
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    assert generated == committed, (
        "docs/openapi.yaml is out of date with the API: run `make schema` and commit the result (review the diff)."
    )


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_every_tenant_operation_documents_the_error_shape_and_organization_header(schema):
    problem = "#/components/schemas/Problem"
    assert set(schema["components"]["schemas"]["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "errors",
    }
    for path, method, operation in _operations(schema):
        if path.startswith("/api/v1/auth/"):
            continue
        expected = {"400", "401", "403", "404"} | ({"409"} if method != "get" else set())
        for code in expected:
            response = operation["responses"].get(code)
            assert response is not None, f"{method.upper()} {path} does not document {code}"
            assert response["content"]["application/json"]["schema"]["$ref"] == problem, (method, path, code)
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "X-Organization" in headers, f"{method.upper()} {path}"
        assert ("Idempotency-Key" in headers) == (method == "post"), f"{method.upper()} {path}"


def test_security_schemes_cover_token_jwt_and_session(schema):
    schemes = schema["components"]["securitySchemes"]
    kinds = {(s["type"], s.get("in"), s.get("scheme")) for s in schemes.values()}
    assert ("apiKey", "header", None) in kinds  # Authorization: Token sf_...
    assert ("http", None, "bearer") in kinds  # JWT
    assert ("apiKey", "cookie", None) in kinds  # session
    for path, method, operation in _operations(schema):
        if not path.startswith("/api/v1/auth/"):
            assert {name for req in operation["security"] for name in req} == set(schemes), (method, path)


def test_schema_endpoint_serves_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    body = yaml.safe_load(response.content)
    assert body["openapi"].startswith("3.")


@override_settings(WHITENOISE_USE_FINDERS=True)
def test_docs_page_renders_offline_with_vendored_assets():
    client = Client()  # a fresh client builds its middleware under the overridden settings
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "the docs page loads something from another host"
    for host in ("cdn.", "jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert host not in html
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    bundle = [a for a in assets if a.endswith("swagger-ui-bundle.js")]
    assert bundle, f"no swagger-ui bundle referenced: {assets}"
    for asset in assets:
        assert finders.find(
            asset.removeprefix(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/")
        )
    served = client.get(bundle[0])
    assert served.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(served.streaming_content if served.streaming else [served.content])
