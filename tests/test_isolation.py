"""A key of one workspace can never read or change another's data: such requests get 404.

The table below must name every operation of the API; ``test_every_api_operation_is_covered`` fails when a
new endpoint is added without an isolation case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle


@dataclass
class Victim:
    """Records of workspace A, and one contact of the attacker's own workspace B."""

    contact_id: int
    relationship_id: int
    agent_id: int
    api_key_id: int
    attribute_key: str
    own_contact_id: int
    conversation_id: int
    order_id: int
    segment_id: int
    survey_id: int
    review_id: int
    complaint_id: int


# (method, path template, JSON body): each is sent with B's admin key and A's ids, and must give 404.
FOREIGN_ID_CASES: list[tuple[str, str, Any]] = [
    ("GET", "/api/v1/contacts/{contact_id}", None),
    ("PATCH", "/api/v1/contacts/{contact_id}", {"name": "Hijacked"}),
    ("DELETE", "/api/v1/contacts/{contact_id}", None),
    ("GET", "/api/v1/contacts/{contact_id}/export", None),
    ("POST", "/api/v1/contacts/{contact_id}/merge", {"duplicate_id": "{own_contact_id}"}),
    ("GET", "/api/v1/contacts/{contact_id}/timeline", None),
    ("POST", "/api/v1/contacts/{contact_id}/notes", {"body": "planted"}),
    ("POST", "/api/v1/contacts/{contact_id}/relationships", {"kind": "buys_for", "to_contact_id": "{own_contact_id}"}),
    ("DELETE", "/api/v1/contacts/{contact_id}/relationships/{relationship_id}", None),
    ("DELETE", "/api/v1/contacts/{own_contact_id}/relationships/{relationship_id}", None),
    ("GET", "/api/v1/agents/{agent_id}", None),
    ("PATCH", "/api/v1/agents/{agent_id}", {"display_name": "Hijacked", "role": "viewer"}),
    ("DELETE", "/api/v1/api-keys/{api_key_id}", None),
    ("DELETE", "/api/v1/attributes/{attribute_key}", None),
    ("GET", "/api/v1/conversations/{conversation_id}", None),
    ("PATCH", "/api/v1/conversations/{conversation_id}", {"status": "resolved"}),
    ("GET", "/api/v1/conversations/{conversation_id}/messages", None),
    ("POST", "/api/v1/conversations/{conversation_id}/messages", {"body": "planted"}),
    ("GET", "/api/v1/orders/{order_id}", None),
    ("PATCH", "/api/v1/orders/{order_id}", {"status": "refunded"}),
    ("GET", "/api/v1/contacts/{contact_id}/figures", None),
    ("GET", "/api/v1/contacts/{contact_id}/lifecycle", None),
    ("GET", "/api/v1/segments/{segment}", None),
    ("PATCH", "/api/v1/segments/{segment_id}", {"name": "Hijacked", "rule": "orders = 0"}),
    ("DELETE", "/api/v1/segments/{segment_id}", None),
    ("GET", "/api/v1/segments/{segment}/contacts", None),
    ("GET", "/api/v1/segments/{segment}/export", None),
    ("GET", "/api/v1/surveys/{survey_id}", None),
    ("POST", "/api/v1/surveys/{survey_id}/send", None),
    ("GET", "/api/v1/surveys/{survey_id}/links", None),
    ("GET", "/api/v1/surveys/{survey_id}/answers", None),
    ("GET", "/api/v1/surveys/{survey_id}/results", None),
    ("GET", "/api/v1/reviews/{review_id}", None),
    ("PATCH", "/api/v1/reviews/{review_id}", {"status": "rejected", "rejection_reason": "planted"}),
    ("POST", "/api/v1/orders/{order_id}/review-link", None),
    ("GET", "/api/v1/complaints/{complaint_id}", None),
    ("PATCH", "/api/v1/complaints/{complaint_id}", {"status": "resolved", "resolution": "planted"}),
    ("GET", "/api/v1/contacts/{contact_id}/referral-code", None),
    # A's customer with stored predictions: tests/success/test_clv_api.py (test_a_customers_predictions).
    ("GET", "/api/v1/contacts/{contact_id}/predictions", None),
    ("GET", "/api/v1/conversations/{conversation_id}/attachments", None),
    # Applying one's own macro (there is none yet: 404 either way) to A's conversation must not touch it.
    ("POST", "/api/v1/conversations/{conversation_id}/macros/1", None),
]
# Operations without an id in the path: they act on the caller's own workspace only (checked below).
OWN_WORKSPACE_OPERATIONS = {
    ("GET", "/api/v1/contacts"),
    ("POST", "/api/v1/contacts"),
    ("POST", "/api/v1/contacts/import"),
    ("GET", "/api/v1/agents"),
    ("POST", "/api/v1/agents"),
    ("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"),
    ("GET", "/api/v1/attributes"),
    ("POST", "/api/v1/attributes"),
    ("GET", "/api/v1/workspace"),
    ("PATCH", "/api/v1/workspace"),  # changes the caller's own workspace (tests/workspaces/test_time_zone.py)
    ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/products"),
    ("POST", "/api/v1/products"),
    ("GET", "/api/v1/product-ranges"),
    ("GET", "/api/v1/orders"),
    ("POST", "/api/v1/orders"),
    ("POST", "/api/v1/orders/import"),
    ("GET", "/api/v1/reports/revenue-split"),
    ("GET", "/api/v1/commerce/settings"),
    ("PATCH", "/api/v1/commerce/settings"),
    ("POST", "/api/v1/analytics/refresh"),
    ("GET", "/api/v1/segments"),
    ("POST", "/api/v1/segments"),
    ("POST", "/api/v1/segments/preview"),
    ("GET", "/api/v1/surveys"),
    ("POST", "/api/v1/surveys"),
    ("GET", "/api/v1/reports/nps"),
    ("GET", "/api/v1/reviews"),
    ("POST", "/api/v1/reviews"),
    ("GET", "/api/v1/complaints"),
    ("POST", "/api/v1/complaints"),
    ("GET", "/api/v1/complaints/suggestions"),
    ("GET", "/api/v1/reports/complaint-rate"),
    ("GET", "/api/v1/feedback/settings"),
    ("PATCH", "/api/v1/feedback/settings"),
    ("GET", "/api/v1/referrals"),
    ("POST", "/api/v1/referrals"),
    ("GET", "/api/v1/reports/referrals"),
    # Reports read only the caller's workspace; tests/reports/test_*_api.py check another's rows never count.
    *(
        ("GET", f"/api/v1/reports/{key}{suffix}")
        for key in ("support", "customers", "feedback")
        for suffix in ("", ".csv")
    ),
    ("GET", "/api/v1/reports/cohorts"),
    ("GET", "/api/v1/reports/help-center"),  # tests/helpcenter/test_reports.py: another workspace's rows never count
    ("GET", "/api/v1/reports/help-center.csv"),
    ("GET", "/api/v1/reports/dashboard"),
    # Customer success settings of the caller's own workspace (tests/success/test_success_settings.py).
    ("GET", "/api/v1/analytics/success-settings"),
    ("PATCH", "/api/v1/analytics/success-settings"),
    # A contact's health: another workspace's contact is 404 (tests/success/test_health_api.py scores one first,
    # which a case here could not: the victim has no health row, so 404 would prove nothing).
    ("GET", "/api/v1/contacts/{contact_id}/health"),
    # Fits on the caller's orders only; tests/success/test_calibration.py checks another workspace's never count.
    ("GET", "/api/v1/analytics/clv/calibration"),
    # Public, without a key: the workspace is named by its public site key (tested in tests/reviews).
    ("GET", "/api/v1/public/{site_key}/products/{sku}/reviews"),
    # The public help center, without a key, named by the site key: another workspace's article or collection
    # with this site key is 404 (tests/helpcenter/test_public_api.py, test_another_workspaces_article_is_not_...).
    ("GET", "/api/v1/public/{site_key}/help/collections"),
    ("GET", "/api/v1/public/{site_key}/help/articles"),
    ("GET", "/api/v1/public/{site_key}/help/articles/{article_id}/{locale}"),
    ("GET", "/api/v1/public/{site_key}/help/search"),
    # The caller's own purchase model: tests/success/test_clv_api.py (another workspace's orders never enter it).
    ("POST", "/api/v1/analytics/clv/fit"),
    ("GET", "/api/v1/analytics/clv/model"),
    # Owners (issue 13). A foreign saved segment is 404, a built-in one changes only the caller's contacts, a
    # foreign owner_id is 422 (tests/segments/test_success_fields.py, test_bulk_owner_is_for_admins_...).
    ("POST", "/api/v1/segments/{segment}/owner"),
    # Teams: another workspace's agent is 404 and its teams unseen: tests/contacts/test_success_team.py.
    ("GET", "/api/v1/teams"),
    ("PUT", "/api/v1/teams/{key}/members/{agent_id}"),
    ("DELETE", "/api/v1/teams/{key}/members/{agent_id}"),
    # Success playbooks and tasks: the operations with an id are sent with another workspace's ids and must give
    # 404 and change nothing in tests/success/test_tasks_api.py (test_another_workspaces_tasks_and_playbooks_...).
    ("GET", "/api/v1/success/at-risk"),
    ("GET", "/api/v1/success/playbooks"),
    ("POST", "/api/v1/success/playbooks"),
    ("GET", "/api/v1/success/playbooks/{playbook_id}"),
    ("PATCH", "/api/v1/success/playbooks/{playbook_id}"),
    ("DELETE", "/api/v1/success/playbooks/{playbook_id}"),
    ("POST", "/api/v1/success/playbooks/{playbook_id}/run"),
    ("GET", "/api/v1/success/tasks"),
    ("POST", "/api/v1/success/tasks"),
    ("GET", "/api/v1/success/tasks/{task_id}"),
    ("PATCH", "/api/v1/success/tasks/{task_id}"),
    ("DELETE", "/api/v1/success/tasks/{task_id}"),
    # Attachments: another workspace's conversation or file is 404 for uploads, metadata and bytes, and for its
    # agents' console sessions (tests/conversations/test_attachments_api.py, test_another_workspace_sees_none_of_it;
    # an upload needs a multipart body, which the JSON cases here cannot send).
    ("POST", "/api/v1/conversations/{conversation_id}/attachments"),
    ("GET", "/api/v1/attachments/{attachment_id}"),
    ("GET", "/api/v1/attachments/{attachment_id}/content"),
    # Canned replies, macros and invitation rules (issue 14): every operation with an id is sent with another
    # workspace's ids and must give 404 and change nothing in tests/conversations/test_canned.py
    # (test_another_workspaces_replies_are_not_found), test_macros.py (test_another_workspaces_macros_and_...,
    # also applying a foreign macro to one's own conversation and one's own macro to a foreign conversation)
    # and test_invitations.py (test_another_workspaces_rules_are_not_found).
    ("GET", "/api/v1/canned-replies"),
    ("POST", "/api/v1/canned-replies"),
    ("GET", "/api/v1/canned-replies/{reply_id}"),
    ("PATCH", "/api/v1/canned-replies/{reply_id}"),
    ("DELETE", "/api/v1/canned-replies/{reply_id}"),
    ("GET", "/api/v1/macros"),
    ("POST", "/api/v1/macros"),
    ("GET", "/api/v1/macros/{macro_id}"),
    ("PATCH", "/api/v1/macros/{macro_id}"),
    ("DELETE", "/api/v1/macros/{macro_id}"),
    ("POST", "/api/v1/conversations/{conversation_id}/macros/{macro_id}"),
    ("GET", "/api/v1/invitation-rules"),
    ("POST", "/api/v1/invitation-rules"),
    ("GET", "/api/v1/invitation-rules/{rule_id}"),
    ("PATCH", "/api/v1/invitation-rules/{rule_id}"),
    ("DELETE", "/api/v1/invitation-rules/{rule_id}"),
    # Counts only the caller's invitations and orders: tests/conversations/test_invitations_report.py fills
    # another workspace with the same world and checks the figures do not change.
    ("GET", "/api/v1/reports/invitations"),
    # A team key names one of the caller's own teams; there are no ids (tests/conversations/test_office_hours.py).
    ("GET", "/api/v1/teams/{key}/office-hours"),
    ("PUT", "/api/v1/teams/{key}/office-hours"),
    # Webhooks: another workspace's endpoint and delivery ids are 404 for every operation, its settings untouched
    # (tests/webhooks/test_endpoints_api.py, test_another_workspaces_endpoints_and_deliveries_are_not_found).
    ("GET", "/api/v1/webhook-event-types"),
    ("GET", "/api/v1/webhook-endpoints"),
    ("POST", "/api/v1/webhook-endpoints"),
    ("GET", "/api/v1/webhook-endpoints/{endpoint_id}"),
    ("PATCH", "/api/v1/webhook-endpoints/{endpoint_id}"),
    ("DELETE", "/api/v1/webhook-endpoints/{endpoint_id}"),
    ("GET", "/api/v1/webhook-endpoints/{endpoint_id}/secret"),
    ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
    ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/enable"),
    ("GET", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries"),
    ("GET", "/api/v1/webhook-deliveries/{delivery_id}"),
    ("POST", "/api/v1/webhook-deliveries/{delivery_id}/resend"),
    ("GET", "/api/v1/webhook-settings"),
    ("PUT", "/api/v1/webhook-settings"),
    # Shop connections (issue 15): every operation with an id is sent with another workspace's connection and
    # delivery ids and must give 404 and change nothing in tests/connections/test_isolation.py
    # (test_another_workspaces_connections_and_deliveries_are_not_found); the others act on the caller's own.
    ("GET", "/api/v1/shop-connections"),
    ("POST", "/api/v1/shop-connections"),
    ("POST", "/api/v1/shop-connections/mapping-preview"),
    ("GET", "/api/v1/shop-connections/{connection_id}"),
    ("PATCH", "/api/v1/shop-connections/{connection_id}"),
    ("DELETE", "/api/v1/shop-connections/{connection_id}"),
    ("POST", "/api/v1/shop-connections/{connection_id}/rotate-secret"),
    ("GET", "/api/v1/shop-connections/{connection_id}/deliveries"),
    ("GET", "/api/v1/shop-deliveries/{delivery_id}"),
    ("POST", "/api/v1/shop-deliveries/{delivery_id}/retry"),
    # Help center (issue 16): every operation with an id is sent with another workspace's article and collection
    # ids and must give 404 and change nothing in tests/helpcenter/test_api_isolation.py
    # (test_another_workspaces_articles_and_collections_are_not_found); listings and search show only the caller's.
    ("GET", "/api/v1/help/collections"),
    ("POST", "/api/v1/help/collections"),
    ("GET", "/api/v1/help/collections/{collection_id}"),
    ("PATCH", "/api/v1/help/collections/{collection_id}"),
    ("DELETE", "/api/v1/help/collections/{collection_id}"),
    ("GET", "/api/v1/help/articles"),
    ("POST", "/api/v1/help/articles"),
    ("GET", "/api/v1/help/articles/{article_id}"),
    ("PATCH", "/api/v1/help/articles/{article_id}"),
    ("DELETE", "/api/v1/help/articles/{article_id}"),
    ("POST", "/api/v1/help/articles/{article_id}/translations"),
    ("GET", "/api/v1/help/articles/{article_id}/translations/{locale}"),
    ("PATCH", "/api/v1/help/articles/{article_id}/translations/{locale}"),
    ("DELETE", "/api/v1/help/articles/{article_id}/translations/{locale}"),
    ("POST", "/api/v1/help/articles/{article_id}/translations/{locale}/publish"),
    ("POST", "/api/v1/help/articles/{article_id}/translations/{locale}/unpublish"),
    ("GET", "/api/v1/help/articles/{article_id}/translations/{locale}/revisions"),
    ("POST", "/api/v1/help/articles/{article_id}/translations/{locale}/revisions/{number}/restore"),
    ("GET", "/api/v1/help/search"),
}


def _template(path: str) -> str:
    return path.replace("{own_contact_id}", "{contact_id}").replace("{attribute_key}", "{key}")


async def test_every_api_operation_is_covered(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    covered = {(method, _template(path)) for method, path, _ in FOREIGN_ID_CASES} | OWN_WORKSPACE_OPERATIONS
    assert operations - covered == set(), "add an isolation case for these operations"


@pytest.fixture
async def victim(client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle) -> Victim:
    a = workspace.headers
    contact_id = await workspace.contact(name="Secret Customer", emails=["secret@a.example"])
    organisation = await workspace.contact(kind="organisation", name="A Corp")
    linked = await client.post(
        f"/api/v1/contacts/{contact_id}/relationships",
        json={"kind": "acts_for", "to_contact_id": organisation},
        headers=a,
    )
    relationship_id = linked.json()["relationships"][0]["id"]
    agent_email = await workspace.add_agent(Role.agent)
    agents = (await client.get("/api/v1/agents", headers=a)).json()
    agent_id = next(agent["id"] for agent in agents if agent["email"] == agent_email)
    api_key_id = (await client.post("/api/v1/api-keys", json={"name": "A integration"}, headers=a)).json()["id"]
    await client.post("/api/v1/attributes", json={"key": "plan", "label": "Plan", "type": "text"}, headers=a)
    own_contact_id = await other_workspace.contact(name="B's own")
    conversation_id = await workspace.conversation("Secret question")
    await workspace.product("SECRET-1")
    order_id = await workspace.order("A-1", contact_id, "SECRET-1")
    segment = await client.post("/api/v1/segments", json={"name": "Secret segment", "rule": "orders >= 1"}, headers=a)
    survey = await client.post("/api/v1/surveys", json={"name": "Secret survey", "segment": "new"}, headers=a)
    review = await client.post(
        "/api/v1/reviews",
        json={"contact_id": contact_id, "sku": "SECRET-1", "rating": 2, "title": "Secret", "body": "Secret text"},
        headers=a,
    )
    complaint = await client.post(
        "/api/v1/complaints", json={"contact_id": contact_id, "summary": "Secret complaint"}, headers=a
    )
    return Victim(
        contact_id,
        relationship_id,
        agent_id,
        api_key_id,
        "plan",
        own_contact_id,
        conversation_id,
        order_id,
        int(segment.json()["id"]),
        survey.json()["id"],
        review.json()["id"],
        complaint.json()["id"],
    )


def _fill(value: Any, victim: Victim) -> Any:
    if isinstance(value, str):
        filled = value.format(**victim.__dict__, segment=victim.segment_id)
        return int(filled) if filled.isdigit() and value.startswith("{") else filled
    if isinstance(value, dict):
        return {key: _fill(item, victim) for key, item in value.items()}
    return value


async def _snapshot(client: httpx.AsyncClient, workspace: WorkspaceHandle, victim: Victim) -> list[Any]:
    h = workspace.headers
    return [
        (await client.get(f"/api/v1/contacts/{victim.contact_id}", headers=h)).json(),
        (await client.get(f"/api/v1/contacts/{victim.contact_id}/timeline", headers=h)).json(),
        (await client.get("/api/v1/agents", headers=h)).json(),
        (await client.get("/api/v1/api-keys", headers=h)).json(),
        (await client.get("/api/v1/attributes", headers=h)).json(),
        (await client.get(f"/api/v1/conversations/{victim.conversation_id}/messages", headers=h)).json(),
        (await client.get(f"/api/v1/conversations/{victim.conversation_id}", headers=h)).json(),
        (await client.get(f"/api/v1/orders/{victim.order_id}", headers=h)).json(),
        (await client.get(f"/api/v1/segments/{victim.segment_id}", headers=h)).json(),
        (await client.get(f"/api/v1/contacts/{victim.contact_id}/figures", headers=h)).json(),
        (await client.get(f"/api/v1/surveys/{victim.survey_id}", headers=h)).json(),
        (await client.get(f"/api/v1/reviews/{victim.review_id}", headers=h)).json(),
        (await client.get(f"/api/v1/complaints/{victim.complaint_id}", headers=h)).json(),
        (await client.get("/api/v1/referrals", headers=h)).json(),
    ]


@pytest.mark.parametrize(("method", "path", "body"), FOREIGN_ID_CASES, ids=[f"{m} {p}" for m, p, _ in FOREIGN_ID_CASES])
async def test_foreign_ids_are_not_found_and_change_nothing(
    client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    victim: Victim,
    method: str,
    path: str,
    body: Any,
) -> None:
    before = await _snapshot(client, workspace, victim)
    response = await client.request(
        method, _fill(path, victim), json=_fill(body, victim), headers=other_workspace.headers
    )
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Secret" not in response.text and "secret@a.example" not in response.text
    assert await _snapshot(client, workspace, victim) == before


async def test_foreign_ids_in_a_body_are_invalid_references(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, victim: Victim
) -> None:
    b = other_workspace.headers
    merge = await client.post(
        f"/api/v1/contacts/{victim.own_contact_id}/merge", json={"duplicate_id": victim.contact_id}, headers=b
    )
    assert merge.status_code == 422
    assert merge.json()["errors"][0]["field"] == "duplicate_id"
    relate = await client.post(
        f"/api/v1/contacts/{victim.own_contact_id}/relationships",
        json={"kind": "buys_for", "to_contact_id": victim.contact_id},
        headers=b,
    )
    assert relate.status_code == 422
    assert relate.json()["errors"][0]["field"] == "to_contact_id"
    await other_workspace.product("SECRET-1")
    order = await client.post(
        "/api/v1/orders",
        json={
            "external_id": "B-1",
            "buyer_id": victim.contact_id,
            "currency": "EUR",
            "ordered_at": "2026-11-01T10:00:00Z",
            "lines": [{"sku": "SECRET-1", "quantity": 1, "unit_price": "1"}],
        },
        headers=b,
    )
    assert order.status_code == 422
    assert order.json()["errors"][0]["field"] == "buyer_id"
    still_there = await client.get(f"/api/v1/contacts/{victim.contact_id}", headers=workspace.headers)
    assert still_there.status_code == 200


async def test_listings_show_only_the_callers_workspace(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, victim: Victim
) -> None:
    b = other_workspace.headers
    contacts = (await client.get("/api/v1/contacts", headers=b)).json()["items"]
    assert [c["id"] for c in contacts] == [victim.own_contact_id]
    assert (await client.get("/api/v1/contacts", params={"q": "secret"}, headers=b)).json()["items"] == []
    agents = (await client.get("/api/v1/agents", headers=b)).json()
    assert [a["email"] for a in agents] == [other_workspace.admin_email]
    keys = (await client.get("/api/v1/api-keys", headers=b)).json()
    assert all(key["name"] != "A integration" for key in keys)
    assert (await client.get("/api/v1/attributes", headers=b)).json() == []
    assert (await client.get("/api/v1/workspace", headers=b)).json()["name"] == other_workspace.name
    assert (await client.get("/api/v1/conversations", headers=b)).json()["items"] == []
    assert (await client.get("/api/v1/orders", headers=b)).json()["items"] == []
    assert (await client.get("/api/v1/products", headers=b)).json()["items"] == []
    segments = (await client.get("/api/v1/segments", params={"counts": True}, headers=b)).json()["items"]
    assert all(not s["name"].startswith("Secret") for s in segments)
    assert next(s for s in segments if s["id"] == "new")["count"] == 0
    assert (await client.get("/api/v1/surveys", headers=b)).json()["items"] == []
    assert (await client.get("/api/v1/reviews", headers=b)).json()["items"] == []
    assert (await client.get("/api/v1/complaints", headers=b)).json()["items"] == []
    assert (await client.get("/api/v1/complaints/suggestions", headers=b)).json() == []
    assert (await client.get("/api/v1/reports/complaint-rate", headers=b)).json()["complaints"] == 0


async def test_same_email_in_two_workspaces_does_not_collide_on_import(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, victim: Victim
) -> None:
    csv_text = "name,emails\nCopycat,secret@a.example\n"
    response = await client.post(
        "/api/v1/contacts/import", files={"file": ("c.csv", csv_text, "text/csv")}, headers=other_workspace.headers
    )
    assert response.json()["created"] == 1
    a_contacts = (await client.get("/api/v1/contacts", params={"q": "secret"}, headers=workspace.headers)).json()
    assert [c["name"] for c in a_contacts["items"]] == ["Secret Customer"]
