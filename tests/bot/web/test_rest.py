"""The REST API over real HTTP: submit, read, list, poll, jobs, queue, cancel, auth and limits."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.bot.web.conftest import WebEnv, request_json


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_submitted_analysis_can_be_read_back_in_camel_case(web: WebEnv, http: httpx.AsyncClient) -> None:
    token = await web.token("acme")
    created = await http.post("/api/v1/analyses", json=request_json(), headers=bearer(token))
    assert created.status_code == 202, created.text
    body = created.json()
    assert body["status"] == "queued"
    assert body["costBreakdown"]["budget"] == 0.5
    analysis_id = body["analysisId"]

    read = await http.get(f"/api/v1/analyses/{analysis_id}", headers=bearer(token))
    assert read.status_code == 200
    assert read.json()["metadata"]["subreddits"] == ["smallbusiness", "freelance"]
    assert read.json()["metadata"]["platform"] == "api"


async def test_repeated_idempotency_key_returns_the_first_analysis(web: WebEnv, http: httpx.AsyncClient) -> None:
    token = await web.token("idem")
    headers = {**bearer(token), "Idempotency-Key": "form-submit-1"}
    first = await http.post("/api/v1/analyses", json=request_json(), headers=headers)
    second = await http.post("/api/v1/analyses", json=request_json(), headers=headers)
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["analysisId"] == first.json()["analysisId"]
    listed = await http.get("/api/v1/analyses", headers=bearer(token))
    assert len(listed.json()["items"]) == 1


async def test_listing_is_paged_newest_first_and_only_shows_the_callers_workspace(
    web: WebEnv, http: httpx.AsyncClient
) -> None:
    token = await web.token("pager")
    mine = [await web.analysis("pager") for _ in range(3)]
    await web.analysis("someone-else")

    first = (await http.get("/api/v1/analyses", params={"limit": 2}, headers=bearer(token))).json()
    assert [i["analysisId"] for i in first["items"]] == [mine[2], mine[1]]
    assert first["nextOffset"] == 2
    second = (await http.get("/api/v1/analyses", params={"limit": 2, "offset": 2}, headers=bearer(token))).json()
    assert [i["analysisId"] for i in second["items"]] == [mine[0]]
    assert "nextOffset" not in second  # omitted at the end, never null
    assert second["items"][0]["subreddits"] == ["smallbusiness", "freelance"]


async def test_another_workspaces_analysis_is_not_found_everywhere(web: WebEnv, http: httpx.AsyncClient) -> None:
    owner = await web.token("owner")
    stranger = await web.token("stranger")
    analysis_id = await web.analysis("owner")
    for method, path in [
        ("GET", ""),
        ("GET", "/progress"),
        ("GET", "/jobs"),
        ("GET", "/queue"),
        ("POST", "/cancel"),
    ]:
        response = await http.request(method, f"/api/v1/analyses/{analysis_id}{path}", headers=bearer(stranger))
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": "not_found", "message": "There is no analysis with that id.", "details": []}
    # The stranger's cancel did nothing.
    still = await http.get(f"/api/v1/analyses/{analysis_id}", headers=bearer(owner))
    assert still.json()["status"] == "queued"


async def test_requests_without_a_valid_token_get_401(web: WebEnv, http: httpx.AsyncClient) -> None:
    analysis_id = await web.analysis("acme")
    cases: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "x" * 500},
    ]
    for headers in cases:
        for method, path in [
            ("GET", "/api/v1/analyses"),
            ("GET", f"/api/v1/analyses/{analysis_id}"),
            ("GET", "/api/v1/queue"),
        ]:
            response = await http.request(method, path, headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error"] == "unauthorized"
    posted = await http.post("/api/v1/analyses", json=request_json())
    assert posted.status_code == 401


async def test_invalid_requests_say_what_to_change(web: WebEnv, http: httpx.AsyncClient) -> None:
    token = await web.token("acme")
    bad_subreddit = await http.post(
        "/api/v1/analyses", json=request_json(subreddits=["no spaces!"]), headers=bearer(token)
    )
    assert bad_subreddit.status_code == 422
    assert "not a valid subreddit name" in bad_subreddit.json()["message"]
    assert bad_subreddit.json()["details"][0]["field"] == "subreddits"

    over_cap = await http.post("/api/v1/analyses", json=request_json(maxCost=1000), headers=bearer(token))
    assert over_cap.status_code == 422
    assert "above this workspace's cap of $25" in over_cap.json()["message"]

    keywords_not_a_list = await http.post("/api/v1/analyses", json=request_json(keywords=True), headers=bearer(token))
    assert keywords_not_a_list.status_code == 422
    assert keywords_not_a_list.json()["message"].startswith("Keywords must be a list")

    not_json = await http.post(
        "/api/v1/analyses",
        content=b'{"subreddits": ["freelance"]\n "maxCost": 1}',
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    # Where the JSON breaks, as an editor counts it, not a character offset posing as a field name.
    assert not_json.json()["details"] == [
        {"field": "body", "message": "The request body is not valid JSON: Expecting ',' delimiter at line 2, column 2."}
    ]


async def test_each_invalid_field_is_named_with_what_it_takes(web: WebEnv, http: httpx.AsyncClient) -> None:
    token = await web.token("fields")
    body = request_json(maxCost="lots")
    del body["timeRange"]
    answer = await http.post("/api/v1/analyses", json=body, headers=bearer(token))
    assert answer.status_code == 422
    details = {d["field"]: d["message"] for d in answer.json()["details"]}
    assert details["timeRange"].startswith('timeRange is required: send an object with "start" and "end" dates')
    assert details["maxCost"].startswith("maxCost must be a number, the budget in USD")
    assert details["maxCost"].endswith("got 'lots'.")
    assert answer.json()["message"] == "The request has 2 problems, in timeRange, maxCost; see details for each."

    bad_date = request_json(timeRange={"start": "last tuesday", "end": "2026-01-01T00:00:00Z"})
    dated = (await http.post("/api/v1/analyses", json=bad_date, headers=bearer(token))).json()
    assert dated["details"][0]["field"] == "timeRange.start"
    assert "ISO 8601" in dated["message"]

    page = (await http.get("/api/v1/analyses", params={"limit": 0}, headers=bearer(token))).json()
    assert page["details"][0]["field"] == "limit"
    assert page["message"].startswith("limit: Input should be greater than or equal to 1")


async def test_bodies_over_the_limit_are_refused_with_413(web: WebEnv, http: httpx.AsyncClient) -> None:
    token = await web.token("limits")
    big = request_json(keywords=["x" * 9000])
    declared = await http.post("/api/v1/analyses", json=big, headers=bearer(token))
    assert declared.status_code == 413
    assert declared.json()["error"] == "too_large"

    async def chunks() -> object:
        for _ in range(20):
            yield b" " * 1000

    streamed = await http.post(
        "/api/v1/analyses",
        content=chunks(),  # type: ignore[arg-type]
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    listed = await http.get("/api/v1/analyses", headers=bearer(token))
    assert listed.json()["items"] == [], "nothing was created by the refused requests"


async def test_progress_jobs_and_queue_of_a_waiting_analysis(web: WebEnv, http: httpx.AsyncClient) -> None:
    token = await web.token("waiting")
    analysis_id = (await http.post("/api/v1/analyses", json=request_json(), headers=bearer(token))).json()["analysisId"]

    progress = (await http.get(f"/api/v1/analyses/{analysis_id}/progress", headers=bearer(token))).json()
    assert progress["status"] == "queued"
    assert progress["progress"]["percent"] == 0
    # No worker runs in this module: the user is told why nothing moves.
    assert any("No worker is running" in n for n in progress["notices"])

    # No stage yet: the field is left out (never null); nothing has been retried.
    assert "stage" not in progress
    assert (progress["retryCount"], progress["percent"], progress["stagePercent"]) == (0, 0, 0)

    jobs = (await http.get(f"/api/v1/analyses/{analysis_id}/jobs", headers=bearer(token))).json()
    # A waiting analysis lists the stage jobs it waits with, each with a date it is expected to end by.
    assert [(j["type"], j["status"]) for j in jobs] == [
        ("reddit-collection", "queued"),
        ("comment-processing", "queued"),
        ("ai-analysis", "queued"),
    ]
    ends = [datetime.fromisoformat(j["estimatedCompletion"]) for j in jobs]
    assert ends == sorted(ends) and ends[0] > datetime.now(UTC)
    queue = (await http.get(f"/api/v1/analyses/{analysis_id}/queue", headers=bearer(token))).json()
    assert queue["totalWorkers"] == 0
    assert queue["position"] >= 1, "positions start at 1 for the next in line"
    assert queue["running"] is False
    assert queue["estimatedWait"] > 0


async def test_cancelling_a_queued_analysis_finishes_it_and_says_nothing_was_charged(
    web: WebEnv, http: httpx.AsyncClient
) -> None:
    token = await web.token("canceller")
    analysis_id = (await http.post("/api/v1/analyses", json=request_json(), headers=bearer(token))).json()["analysisId"]
    cancelled = await http.post(f"/api/v1/analyses/{analysis_id}/cancel", headers=bearer(token))
    assert cancelled.status_code == 200
    assert cancelled.json() == {
        "analysisId": analysis_id,
        "status": "cancelled",
        "message": "Cancelled before it started. Nothing was charged.",
    }
    again = await http.post(f"/api/v1/analyses/{analysis_id}/cancel", headers=bearer(token))
    assert again.json()["message"] == "That analysis is already cancelled; nothing to cancel."


async def test_unknown_ids_and_malformed_ids_are_client_errors(web: WebEnv, http: httpx.AsyncClient) -> None:
    token = await web.token("acme")
    assert (await http.get("/api/v1/analyses/doesnotexist", headers=bearer(token))).status_code == 404
    assert (await http.get("/api/v1/analyses/bad%20id", headers=bearer(token))).status_code == 422
    assert (await http.get("/api/v1/analyses", params={"limit": 0}, headers=bearer(token))).status_code == 422
    assert (await http.get("/api/v1/analyses", params={"limit": 101}, headers=bearer(token))).status_code == 422


async def test_openapi_schema_documents_the_api(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in [
        "/api/v1/analyses",
        "/api/v1/analyses/{analysis_id}",
        "/api/v1/analyses/{analysis_id}/progress",
        "/api/v1/analyses/{analysis_id}/jobs",
        "/api/v1/analyses/{analysis_id}/queue",
        "/api/v1/analyses/{analysis_id}/cancel",
        "/api/v1/health",
        "/api/v1/features",
    ]:
        assert path in paths, path
    request_schema = schema["components"]["schemas"]["AnalysisRequest"]
    assert {"subreddits", "timeRange", "maxCost"} <= set(request_schema["properties"])
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
