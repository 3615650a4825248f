"""Roles and what each may do. Pure: routes declare the roles they admit from these sets.

- staff: the stock floor — receive, put away, move, pick, pack, ship, count.
- technician: the field — check out and return equipment, reserve, log maintenance and the spare parts used.
- manager: everything staff and technicians do, plus items, locations, orders, approvals, reports, the dashboard.
- admin: everything a manager does, plus users and settings.
"""

from __future__ import annotations

STAFF = "staff"
TECHNICIAN = "technician"
MANAGER = "manager"
ADMIN = "admin"
ROLES = (STAFF, TECHNICIAN, MANAGER, ADMIN)

ANYONE = frozenset(ROLES)
FLOOR = frozenset({STAFF, MANAGER, ADMIN})
FIELD = frozenset({TECHNICIAN, MANAGER, ADMIN})
MANAGERS = frozenset({MANAGER, ADMIN})
ADMINS = frozenset({ADMIN})

ROLE_LABELS = {
    STAFF: "Floor staff",
    TECHNICIAN: "Field technician",
    MANAGER: "Manager",
    ADMIN: "Administrator",
}
