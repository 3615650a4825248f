"""Pure rules for accounts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import Invalid
from ..scanning.rules import BADGE_PREFIX
from .roles import ROLES

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
MIN_PASSWORD = 10


def badge_code(user_id: int) -> str:
    """The code on a person's badge, which the scan hub and check-out resolve to them (scan registry kind
    "person"). It names the person, like their name does; it proves nothing, so it signs nobody in."""
    return f"{BADGE_PREFIX}{user_id:05d}"


def normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if not EMAIL.match(email):
        raise Invalid("Enter a valid email address, like name@example.com.", field="email")
    return email


def check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.", field="role")
    return role


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(f"The password must have at least {MIN_PASSWORD} characters.", field="password")
    if len(password) > 200:
        raise Invalid("The password is too long (200 characters at most).", field="password")
    return password


@dataclass(frozen=True)
class Throttle:
    window_seconds: int
    max_per_account: int
    max_per_client: int

    def wait_seconds(self, account_failures: list, client_failures: list, now) -> int:
        """Seconds until sign-in is allowed again (0 when allowed). Failures are timestamps inside the window."""
        waits = []
        for failures, limit in ((account_failures, self.max_per_account), (client_failures, self.max_per_client)):
            if len(failures) >= limit:
                # Allowed again once the oldest failure that keeps us at the limit leaves the window.
                pivot = sorted(failures)[len(failures) - limit]
                waits.append(self.window_seconds - (now - pivot).total_seconds())
        return max(0, math.ceil(max(waits))) if waits else 0
