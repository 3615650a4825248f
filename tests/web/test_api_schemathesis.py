"""Schemathesis drives every documented API operation with generated input, in-process: no 5xx, and every
response matches the OpenAPI document (status, content type, body schema).

Its pytest plugin does not run under pytest 9 here, so each operation's Schemathesis strategy is driven by
Hypothesis directly — the same generation and the same checks.
"""

from __future__ import annotations

import contextvars

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.api.services import create_token
from app.uow import UnitOfWork


@pytest.fixture
def admin_headers(make_user):
    user = make_user("admin")
    return {"Authorization": f"Bearer {create_token(user_id=user.id, name='fuzz', uow=UnitOfWork()).token}"}


def test_api_operations_never_fail_with_5xx_and_always_match_the_document(app, admin_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=admin_headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case):
            # Every check but "schema-valid data must be accepted": our business rules (a bin needs a parent, a code
            # must be free) refuse some schema-valid requests with a documented 404/409/422, as they should.
            case.call_and_validate(headers=admin_headers, excluded_checks=[positive_data_acceptance])

        # A fresh context per run, as on a server: Flask would otherwise reuse the test's app context (and the
        # user Flask-Login cached on g) for these in-process calls.
        contextvars.Context().run(exercise)
