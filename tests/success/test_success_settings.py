"""Customer-success settings: the discount rate and health weights, read by anyone, changed by admins, checked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.success.health_signals import DEFAULT_WEIGHTS, SIGNAL_NAMES
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

URL = "/api/v1/analytics/success-settings"


async def test_defaults_are_read_by_any_role_and_list_every_signal(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    viewer = await workspace.key_with_role(Role.viewer)
    response = await client.get(URL, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["discount_rate"] == 0.1
    assert body["health_weights"] == body["default_health_weights"] == DEFAULT_WEIGHTS
    assert tuple(body["health_weights"]) == SIGNAL_NAMES
    assert sum(DEFAULT_WEIGHTS.values()) == 100


async def test_an_admin_changes_some_weights_and_the_others_keep_theirs(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    changed = await client.patch(
        URL, json={"discount_rate": 0.08, "health_weights": {"nps": 0, "csat": 12.5}}, headers=workspace.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["discount_rate"] == 0.08
    assert changed.json()["health_weights"] == {**DEFAULT_WEIGHTS, "nps": 0, "csat": 12.5}
    again = await client.patch(URL, json={"health_weights": {"complaints": 30}}, headers=workspace.headers)
    assert again.json()["health_weights"] == {**DEFAULT_WEIGHTS, "nps": 0, "csat": 12.5, "complaints": 30}
    assert again.json()["discount_rate"] == 0.08
    reset = await client.patch(URL, json={"health_weights": {"nps": None}}, headers=workspace.headers)
    assert reset.json()["health_weights"]["nps"] == DEFAULT_WEIGHTS["nps"]  # null: back to the default
    assert (await client.get(URL, headers=workspace.headers)).json() == reset.json()
    theirs = (await client.get(URL, headers=other_workspace.headers)).json()
    assert (theirs["discount_rate"], theirs["health_weights"]) == (0.1, DEFAULT_WEIGHTS)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"discount_rate": 1.5}, "discount_rate"),
        ({"discount_rate": -0.1}, "discount_rate"),
        ({"discount_rate": "lots"}, "discount_rate"),
        ({"discount_rate": True}, "discount_rate"),
        ({"health_weights": {"loyalty": 10}}, "health_weights.loyalty"),
        ({"health_weights": {"nps": 101}}, "health_weights.nps"),
        ({"health_weights": {"csat": -1}}, "health_weights.csat"),
        ({"health_weights": {"csat": False}}, "health_weights.csat"),
        ({"health_weights": [1, 2]}, "health_weights"),
        ({"health_weights": {name: 0 for name in SIGNAL_NAMES}}, "health_weights"),
        ({"currency": "EUR"}, "currency"),
    ],
)
async def test_bad_settings_are_a_422_naming_the_field_and_change_nothing(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, body: dict[str, Any], field: str
) -> None:
    response = await client.patch(URL, json=body, headers=workspace.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == [field]
    read = (await client.get(URL, headers=workspace.headers)).json()
    assert (read["discount_rate"], read["health_weights"]) == (0.1, DEFAULT_WEIGHTS)


async def test_non_finite_numbers_are_refused(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    for raw in ('{"discount_rate": NaN}', '{"health_weights": {"nps": Infinity}}'):
        response = await client.patch(
            URL, content=raw, headers={**workspace.headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 422, response.text


@pytest.mark.parametrize("role", [Role.viewer, Role.agent])
async def test_only_admins_change_success_settings(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, role: Role
) -> None:
    headers = await workspace.key_with_role(role)
    response = await client.patch(URL, json={"discount_rate": 0.2}, headers=headers)
    assert response.status_code == 403
    assert (await client.get(URL, headers=headers)).json()["discount_rate"] == 0.1


def _form(token: str, **values: str) -> dict[str, str]:
    form = {"csrf_token": token, "discount_rate": "10"}
    form.update({f"weight_{name}": str(int(weight)) for name, weight in DEFAULT_WEIGHTS.items()})
    form.update(values)
    return form


async def test_the_settings_page_sets_the_rate_and_weights_and_shows_errors_by_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    page = await client.get("/settings")
    assert 'id="customer-success"' in page.text
    assert 'name="weight_sentiment_trend"' in page.text and "Sentiment trend" in page.text
    token = csrf_of(page.text)

    saved = await client.post("/settings/success", data=_form(token, discount_rate="7.5", weight_nps="0"))
    assert saved.status_code == 303
    read = (await client.get(URL, headers=workspace.headers)).json()
    assert read["discount_rate"] == 0.075
    assert read["health_weights"]["nps"] == 0
    assert (
        'name="discount_rate" min="0" max="100" step="any" required inputmode="decimal"\n        value="7.5"'
        in (await client.get("/settings")).text
    )

    refused = await client.post("/settings/success", data=_form(token, discount_rate="150", weight_csat="lots"))
    assert refused.status_code == 422
    assert 'id="discount_rate-error"' in refused.text and "between 0 and 100" in refused.text
    assert 'id="weight_csat-error"' in refused.text and "must be a number" in refused.text
    assert 'value="lots"' in refused.text  # what the admin typed stays in the field
    too_heavy = await client.post("/settings/success", data=_form(token, weight_complaints="500"))
    assert too_heavy.status_code == 422 and 'id="weight_complaints-error"' in too_heavy.text
    all_off = await client.post("/settings/success", data=_form(token, **{f"weight_{n}": "0" for n in SIGNAL_NAMES}))
    assert all_off.status_code == 422 and "at least one health signal" in all_off.text
    assert (await client.get(URL, headers=workspace.headers)).json() == read


async def test_an_agent_sees_no_success_form_and_cannot_post_one(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    email = await workspace.add_agent(Role.agent)
    await login(client, email)
    page = await client.get("/settings")
    assert 'id="customer-success"' not in page.text
    refused = await client.post("/settings/success", data=_form(csrf_of(page.text), discount_rate="50"))
    assert refused.status_code == 403
    assert (await client.get(URL, headers=workspace.headers)).json()["discount_rate"] == 0.1


@pytest.mark.parametrize(
    "raw",
    [
        '{"health_weights": {"\\u0000": 1}}',
        '{"health_weights": {"nps": "\\ud800"}}',
        '{"health_weights": {"nps": 10000000000000000000000000000000000000000}}',
        '{"discount_rate": 1e308}',
        '{"health_weights": {"nps": {"nested": [1]}}}',
        '{"health_weights": "all"}',
        "[" * 5000 + "]" * 5000,
    ],
)
async def test_hostile_bodies_are_4xx_never_5xx(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, raw: str
) -> None:
    response = await client.patch(URL, content=raw, headers={**workspace.headers, "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_hostile_form_values_are_shown_as_errors_never_5xx(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    token = csrf_of((await client.get("/settings")).text)
    for value in ("1e400", "nan", "-inf", "9" * 400, "", " ", "١٢"):
        response = await client.post("/settings/success", data=_form(token, weight_nps=value))
        assert response.status_code == 422, (value, response.status_code)
        assert 'id="weight_nps-error"' in response.text
    # A NUL is refused for every form before the page's own checks (frontdesk.inputs), naming the field too.
    response = await client.post("/settings/success", data=_form(token, weight_nps="\x00"))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "weight_nps"
    assert (await client.get(URL, headers=workspace.headers)).json()["health_weights"] == DEFAULT_WEIGHTS


async def test_the_analytics_refresh_scores_health(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    buyer = await workspace.contact(name="Ada")
    await workspace.order("O-1", buyer, "TEA-1")
    refreshed = await client.post("/api/v1/analytics/refresh", headers=workspace.headers)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["health_scored"] == 1
    health = await client.get(f"/api/v1/contacts/{buyer}/health", headers=workspace.headers)
    assert health.status_code == 200
    assert health.json()["components"]["purchase_activity"]["basis"] in {"p_alive", "lapsed_after_days"}
    assert len(health.json()["history"]) == 1
