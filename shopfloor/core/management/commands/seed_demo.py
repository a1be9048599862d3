"""`manage.py seed_demo`: a demo installation to try Shopfloor. Idempotent.

"Demo Drilling Tools" (two plants, one user per role template) and "Northwind Machining".
Passwords come from DEMO_PASSWORD (default `shopfloor-demo`); never run this in production.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shopfloor.core import access, services, tenancy
from shopfloor.core.models import Membership, Organization, Plant, Role, User

DEMO_ORGS = [
    {
        "name": "Demo Drilling Tools",
        "slug": "demo",
        "plants": [
            {"code": "HOU", "name": "Houston Bit Repair", "timezone": "America/Chicago"},
            {"code": "STV", "name": "Stavanger Workshop", "timezone": "Europe/Oslo"},
        ],
        "users": True,
    },
    {
        "name": "Northwind Machining",
        "slug": "northwind",
        "plants": [{"code": "MAIN", "name": "Main Plant", "timezone": "Europe/Berlin"}],
        "users": False,
    },
]


def username_for(role: str, slug: str) -> str:
    return f"{slug}-{role.lower().replace(' ', '-')}"


class Command(BaseCommand):
    help = "Create demo organizations, plants and one user per role template (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when the database has no organization yet; always print the logins.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not os.environ.get("SEED_DEMO_IN_PRODUCTION"):
            raise CommandError("Refusing to seed demo users in production.")
        password = os.environ.get("DEMO_PASSWORD", "shopfloor-demo")
        if options["if_empty"] and Organization.objects.exists():
            self.stdout.write(f"Database already has data; demo logins (password: {password} unless changed):")
            for user in User.objects.filter(username__in=self._demo_usernames()).order_by("username"):
                self.stdout.write(f"  {user.username}")
            return
        logins: list[tuple[str, str, str]] = []
        with transaction.atomic():
            platform = self._platform_admin(password)
            logins.append(("admin", "platform administrator (all organizations)", "-"))
            for spec in DEMO_ORGS:
                org = Organization.objects.filter(slug=spec["slug"]).first()
                if org is None:
                    org = services.create_organization(actor=platform, name=spec["name"], slug=spec["slug"])
                with tenancy.use(org, platform):
                    services.install_role_templates(org)
                    self._membership(org, platform, platform, Role.objects.get(name="Administrator"))
                    for plant in spec["plants"]:
                        if not Plant.objects.filter(code=plant["code"]).exists():
                            services.create_plant(actor=platform, data=plant)
                    roles = access.ROLE_TEMPLATES if spec["users"] else {"Administrator": None}
                    for role_name in roles:
                        username = username_for(role_name, spec["slug"])
                        role = Role.objects.get(name=role_name)
                        if not User.objects.filter(username=username).exists():
                            first, _, last = role_name.partition(" ")
                            services.create_user_and_member(
                                actor=platform,
                                username=username,
                                email=f"{username}@example.com",
                                password=password,
                                first_name=first,
                                last_name=last or "User",
                                roles=[role],
                            )
                        else:
                            self._membership(org, platform, User.objects.get(username=username), role)
                        logins.append((username, f"{role_name}, {org.name}", spec["slug"]))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password: {password}):"))
        for username, what, _ in logins:
            self.stdout.write(f"  {username:<36} {what}")

    def _demo_usernames(self) -> list[str]:
        names = ["admin"]
        for spec in DEMO_ORGS:
            roles = access.ROLE_TEMPLATES if spec["users"] else {"Administrator": None}
            names += [username_for(role, spec["slug"]) for role in roles]
        return names

    def _platform_admin(self, password: str) -> User:
        user = User.objects.filter(username="admin").first()
        if user is None:
            user = User.objects.create_superuser(
                "admin", "admin@example.com", password, first_name="Platform", last_name="Admin"
            )
        return user

    def _membership(self, org: Organization, actor: User, user: User, role: Role) -> None:
        if not Membership.objects.filter(user=user).exists():
            services.add_member(actor=actor, user=user, roles=[role])
