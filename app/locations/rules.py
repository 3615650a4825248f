from __future__ import annotations

import re

from ..errors import Invalid
from .models import KINDS

CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-.]{0,39}$")
# Which kind may sit under which: a bin lives in a zone or site, a zone in a site; sites, vans and docks at the top
# or in a site.
PARENTS = {"site": {None}, "zone": {"site"}, "bin": {"zone", "site", "van"}, "dock": {"site"}, "van": {None, "site"}}


def normalise_code(raw: str) -> str:
    code = (raw or "").strip().upper()
    if not CODE.match(code):
        raise Invalid(
            "A location code is 1–40 capital letters, digits, '-' or '.', starting with a letter or digit "
            "(Code 39 can print it).",
            field="code",
        )
    return code


def check_kind(kind: str, parent_kind: str | None) -> str:
    if kind not in KINDS:
        raise Invalid(f"Unknown location kind {kind!r}; choose one of {', '.join(KINDS)}.", field="kind")
    if parent_kind not in PARENTS[kind]:
        where = "at the top level" if parent_kind is None else f"inside a {parent_kind}"
        raise Invalid(f"A {kind} cannot be placed {where}.", field="parent")
    return kind
