"""The console: owner on the contact page and in the contacts list, the stored prediction and health on the
contact page, and the segment page's bulk owner form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from frontdesk.db import create_session_factory
from frontdesk.success.models import ClvModel, CustomerHealth, CustomerPrediction, HealthHistory
from frontdesk.workspaces.models import Role
from tests.contacts.test_owner import agent_id
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/contacts")).text)


def model(workspace_id: int, as_of: datetime) -> ClvModel:
    return ClvModel(
        workspace_id=workspace_id,
        as_of=as_of,
        time_zone="UTC",
        customers=10,
        repeat_customers=4,
        r=0.2,
        alpha=4.0,
        a=0.8,
        b=2.4,
        p=6.0,
        q=4.0,
        gamma=15.0,
        log_likelihood=-100.0,
        gamma_gamma_log_likelihood=-20.0,
    )


async def test_contact_page_shows_prediction_health_reasons_and_history(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    contact = await workspace.contact(name="Scored")
    async with create_session_factory(workspace.engine)() as session:
        session.add(model(workspace.id, datetime(2026, 11, 29, 23, 0, tzinfo=UTC)))
        session.add(
            CustomerPrediction(
                contact_id=contact,
                workspace_id=workspace.id,
                frequency=3,
                recency_days=100.0,
                age_days=300.0,
                p_alive=0.734,
                expected_purchases_90d=0.456,
                expected_purchases_365d=1.789,
                expected_order_value_minor=2550.4,
                clv_12m_minor=31999.6,
            )
        )
        session.add(
            CustomerHealth(
                contact_id=contact,
                workspace_id=workspace.id,
                score=35,
                reasons=["no order for 3 times their usual interval", "1 open complaint"],
                computed_at=datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
            )
        )
        for day, score in ((1, 80), (10, 60), (20, 35)):
            session.add(
                HealthHistory(
                    workspace_id=workspace.id,
                    contact_id=contact,
                    score=score,
                    recorded_at=datetime(2026, 11, day, 3, 0, tzinfo=UTC),
                )
            )
        await session.commit()
    html = (await client.get(f"/contacts/{contact}")).text
    assert re.search(r'data-figure="p_alive">73%<', html)
    assert 'data-figure="expected_purchases_90d">0.46<' in html
    assert 'data-figure="expected_purchases_365d">1.79<' in html
    assert 'data-figure="expected_order_value">25.50 EUR<' in html
    assert 'data-figure="clv_12m">320.00 EUR<' in html
    assert "Model as of 2026-11-29" in html
    # The badge says it in words as well as in colour.
    assert re.search(r'class="badge health at-risk" data-health="35">35 / 100 · At risk<', html)
    assert "no order for 3 times their usual interval; 1 open complaint" in html
    history = re.findall(r"<td>(2026-11-\d\d)</td><td class=\"num\">(\d+)</td>", html)
    assert history == [("2026-11-20", "35"), ("2026-11-10", "60"), ("2026-11-01", "80")]


async def test_contact_page_without_a_model_gives_the_hint(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    contact = await workspace.contact(name="New")
    html = (await client.get(f"/contacts/{contact}")).text
    assert "No purchase model yet: run `frontdesk analytics fit` or wait for the daily refresh" in html
    assert 'data-health="none"' in html
    async with create_session_factory(workspace.engine)() as session:
        session.add(model(workspace.id, datetime(2026, 11, 29, tzinfo=UTC)))
        await session.commit()
    html = (await client.get(f"/contacts/{contact}")).text
    assert "No prediction for this contact" in html and "Model as of 2026-11-29" in html


async def test_owner_select_lists_the_success_team_first_and_sets_the_owner(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    h = workspace.headers
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    zoe = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    await client.put(f"/api/v1/teams/success/members/{zoe}", headers=h)
    contact = await workspace.contact(name="Olga")
    html = (await client.get(f"/contacts/{contact}")).text
    success_group = re.search(r'<optgroup label="Success team">(.*?)</optgroup>', html, re.S)
    others_group = re.search(r'<optgroup label="Other agents">(.*?)</optgroup>', html, re.S)
    assert success_group and others_group
    assert f'value="{zoe}"' in success_group.group(1) and f'value="{anna}"' in others_group.group(1)
    assert 'data-owner-id="">No owner' in html
    # HTMX: the owner block comes back, with the timeline out of band.
    response = await client.post(
        f"/contacts/{contact}/owner",
        data={"csrf_token": signed_in, "owner_id": str(zoe)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'data-owner-id="{zoe}"' in response.text and "<html" not in response.text
    assert 'id="timeline" hx-swap-oob="true"' in response.text and "Owner changed" in response.text
    assert (await client.get(f"/api/v1/contacts/{contact}", headers=h)).json()["owner_id"] == zoe
    # Without JavaScript: a redirect to the page; an empty choice takes the owner away.
    plain = await client.post(f"/contacts/{contact}/owner", data={"csrf_token": signed_in, "owner_id": ""})
    assert plain.status_code == 303 and plain.headers["location"] == f"/contacts/{contact}"
    assert (await client.get(f"/api/v1/contacts/{contact}", headers=h)).json()["owner_id"] is None
    bad = await client.post(f"/contacts/{contact}/owner", data={"csrf_token": signed_in, "owner_id": "999999"})
    assert bad.status_code == 422 and 'id="owner-error"' in bad.text
    no_csrf = await client.post(f"/contacts/{contact}/owner", data={"owner_id": str(anna)})
    assert no_csrf.status_code == 403


async def test_owner_form_refuses_another_workspaces_contact_and_agent(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, signed_in: str
) -> None:
    foreign_contact = await other_workspace.contact(name="Theirs")
    foreign_agent = await agent_id(client, other_workspace, await other_workspace.add_agent(Role.agent))
    mine = await workspace.contact(name="Mine")
    hidden = await client.post(f"/contacts/{foreign_contact}/owner", data={"csrf_token": signed_in, "owner_id": ""})
    assert hidden.status_code == 404
    refused = await client.post(
        f"/contacts/{mine}/owner",
        data={"csrf_token": signed_in, "owner_id": str(foreign_agent)},
        headers={"HX-Request": "true"},
    )
    assert 'id="owner-error"' in refused.text
    assert (await client.get(f"/api/v1/contacts/{mine}", headers=workspace.headers)).json()["owner_id"] is None


async def test_contacts_list_filters_by_owner_me_and_no_owner(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    me = await agent_id(client, workspace, workspace.admin_email)
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    await workspace.contact(name="Mine", owner_id=me)
    await workspace.contact(name="Annas", owner_id=anna)
    await workspace.contact(name="Nobodys")
    page = await client.get("/contacts")
    assert '<option value="me"' in page.text and '<option value="none"' in page.text
    assert f'<option value="{anna}"' in page.text
    for owner, expected in (("me", {"Mine"}), ("none", {"Nobodys"}), (str(anna), {"Annas"}), ("", None)):
        response = await client.get("/contacts", params={"owner": owner}, headers={"HX-Request": "true"})
        names = set(re.findall(r'<a href="/contacts/\d+">([^<]+)</a>', response.text))
        assert names == (expected or {"Mine", "Annas", "Nobodys"}), owner
    selected = await client.get("/contacts", params={"owner": "none"})
    assert re.search(r'<option value="none"\s+selected', selected.text)
    assert "Agent agent" in (await client.get("/contacts")).text  # the owner column


async def test_segment_page_gives_every_member_an_owner(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    h = workspace.headers
    anna = await agent_id(client, workspace, await workspace.add_agent(Role.agent))
    await workspace.contact(name="Berlin", country="DE")
    await workspace.contact(name="Paris", country="FR")
    await workspace.contact(name="Boston", country="US")
    page = await client.get("/segments")
    assert 'action="/segments/owner"' in page.text
    response = await client.post(
        "/segments/owner", data={"csrf_token": signed_in, "segment": "region-eu", "owner_id": str(anna)}
    )
    assert response.status_code == 200
    assert "2 contacts of Region: EU changed owner: now owned by Agent agent." in response.text
    owners = {c["name"]: c["owner_id"] for c in (await client.get("/api/v1/contacts", headers=h)).json()["items"]}
    assert owners == {"Berlin": anna, "Paris": anna, "Boston": None}
    bad = await client.post("/segments/owner", data={"csrf_token": signed_in, "segment": "nope", "owner_id": ""})
    assert bad.status_code == 422 and 'id="segment-owner-error"' in bad.text
    # Agents (not admins) see no such form and cannot post it.
    await client.post("/logout", data={"csrf_token": signed_in})
    agent_email = await workspace.add_agent(Role.agent)
    await login(client, agent_email)
    agent_page = await client.get("/segments")
    assert 'action="/segments/owner"' not in agent_page.text
    forbidden = await client.post(
        "/segments/owner", data={"csrf_token": csrf_of(agent_page.text), "segment": "region-eu", "owner_id": ""}
    )
    assert forbidden.status_code == 403
