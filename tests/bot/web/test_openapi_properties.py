"""Property-based tests from the served OpenAPI schema: no input, valid or not, makes the server fail (5xx).

schemathesis generates the cases from the schema the running server serves and sends them over real
HTTP; hypothesis drives and shrinks. (schemathesis's own pytest plugin does not support pytest 9 yet,
so the strategies are used with hypothesis directly.)
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oppscout.core.db.database import Database
from oppscout.core.db.repositories.api_tokens import ApiTokenRepository
from tests.bot.web.conftest import ServerThread

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


async def _issue_token(database_url: str) -> str:
    database = Database(database_url)
    try:
        async with database.unit_of_work() as session:
            return (await ApiTokenRepository(session).create("schemathesis")).secret
    finally:
        await database.close()


def assert_no_server_error(case: schemathesis.Case[Any], response: schemathesis.Response) -> None:
    """No 5xx, except the documented 503 that reports an unavailable part (input can never cause it).

    The health endpoint answers 503 when a probe times out, which can happen on a loaded machine; that
    is the endpoint telling the truth, not a failure, so it is allowed when its body says "down".
    """
    described = f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
    if response.status_code == 503:
        body = response.json()
        assert body.get("status") == "down" or body.get("error") in ("queue_unavailable", "unavailable"), described
        return
    assert response.status_code < 500, described


@pytest.fixture(scope="module")
def schema_token(web_server: ServerThread) -> str:
    """A valid token of the module's server (made in a loop of its own: this module's tests are synchronous)."""
    return asyncio.run(_issue_token(web_server.settings.resolved_database_url))


@pytest.fixture(scope="module")
def api_schema(web_server: ServerThread) -> schemathesis.BaseSchema:
    """The schema exactly as the running server serves it."""
    return schemathesis.openapi.from_url(web_server.url + "/openapi.json")


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_authenticated_calls_never_fail_on_the_server(
    api_schema: schemathesis.BaseSchema, schema_token: str, mode: schemathesis.GenerationMode
) -> None:
    seen: set[int] = set()
    operations: set[str] = set()

    @PROPERTY_SETTINGS
    @given(case=api_schema.as_strategy(generation_mode=mode))
    def property_holds(case: schemathesis.Case[Any]) -> None:
        response = case.call(headers={"Authorization": f"Bearer {schema_token}"})
        assert_no_server_error(case, response)
        seen.add(response.status_code)
        operations.add(f"{case.method} {case.path}")

    property_holds()
    assert {"POST /api/v1/analyses", "GET /api/v1/analyses/{analysis_id}/progress"} <= operations
    # The cases reached the routes (not just the auth gate): successes and validation errors both occur.
    assert seen & {200, 202}
    if mode == schemathesis.GenerationMode.NEGATIVE:
        assert 422 in seen


def test_calls_with_a_bad_token_never_fail_on_the_server(api_schema: schemathesis.BaseSchema) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=api_schema.as_strategy(), token=st.text(max_size=80))
    def property_holds(case: schemathesis.Case[Any], token: str) -> None:
        header = "Bearer " + "".join(ch for ch in token if 32 < ord(ch) < 127)
        response = case.call(headers={"Authorization": header})
        assert_no_server_error(case, response)
        if case.path.startswith("/api/v1/analyses"):
            assert response.status_code in (401, 413, 422)

    property_holds()
