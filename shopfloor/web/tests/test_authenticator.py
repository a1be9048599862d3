"""Setting up and removing the authenticator app that electronic signatures then ask for."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shopfloor.core.models import AuditEvent
from shopfloor.core.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/account/authenticator/"


@pytest.fixture
def web(client, admin_user):
    client.force_login(admin_user)
    return client


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_set_up_shows_key_and_qr_and_needs_a_right_code(web, admin_user):
    assert b"Not set up." in web.get(URL).content
    assert web.post(URL, {"action": "start"}).status_code == 302
    page = web.get(URL).content.decode()
    device = TOTPDevice.objects.get(user=admin_user)
    assert "<svg" in page and 'data-testid="totp-secret"' in page and device.confirmed is False
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = web.post(URL, {"action": "confirm", "code": wrong})
    assert response.status_code == 400 and b"The code is not correct" in response.content
    assert TOTPDevice.objects.get(user=admin_user).confirmed is False
    assert web.post(URL, {"action": "confirm", "code": _code(device)}).status_code == 302
    assert TOTPDevice.objects.get(user=admin_user).confirmed is True
    assert b"Signing asks for a code" in web.get(URL).content
    events = AuditEvent.objects.unscoped().filter(object_type="core.user", object_id=str(admin_user.pk))
    assert [e.changes for e in events if "authenticator" in e.changes] == [{"authenticator": [None, "enabled"]}]


def test_removing_needs_the_password(web, admin_user):
    TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    response = web.post(URL, {"action": "remove", "password": "wrong"})
    assert response.status_code == 400 and b"The password is not correct." in response.content
    assert TOTPDevice.objects.filter(user=admin_user).exists()
    assert web.post(URL, {"action": "remove", "password": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(user=admin_user).exists()


def test_confirming_without_starting_is_refused(web, admin_user):
    response = web.post(URL, {"action": "confirm", "code": "123456"})
    assert response.status_code == 400 and b"Start the set-up first." in response.content


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
