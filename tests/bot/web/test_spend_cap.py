"""POST /analyses goes through the service's policy: the same monthly cap and wording as chat."""

from __future__ import annotations

from decimal import Decimal

import httpx

from oppscout.core.spend import SpendGovernor
from tests.bot.web.conftest import WebEnv, request_json


async def test_rest_request_over_the_monthly_cap_is_refused_in_the_chat_wording(
    web: WebEnv, http: httpx.AsyncClient
) -> None:
    await SpendGovernor(web.runtime.database, web.runtime.settings).set_caps(
        "capped", workspace_monthly=Decimal("0.10"), user_monthly=None
    )
    token = await web.token("capped")
    refused = await http.post("/api/v1/analyses", json=request_json(), headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "budget_exceeded"
    assert refused.json()["message"].startswith(
        "That needs a budget of $0.50, but this workspace has only $0.10 left of its $0.10 cap"
    )
    listed = await http.get("/api/v1/analyses", headers={"Authorization": f"Bearer {token}"})
    assert listed.json()["items"] == []
    # Within the cap it runs.
    small = await http.post(
        "/api/v1/analyses", json=request_json(maxCost=0.1), headers={"Authorization": f"Bearer {token}"}
    )
    assert small.status_code == 202, small.text
