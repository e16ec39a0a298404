"""Erasure, export and merge reach every domain's rows, checked generically over the live database's tables."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_session_factory
from tests.contacts.personal_world import World, find_strings, reflect, row_counts
from tests.factories import WorkspaceHandle

# Tables the fixture may leave empty: workspace configuration and agents' own state, which by construction hold
# nothing a customer wrote or anything about a customer. Any other table must be filled by the fixture, so a
# new table that can hold personal data is either filled (and then scanned) or argued for here.
NO_PERSONAL_DATA = {
    "agent_presence",  # an agent's online status
    "agent_sessions",  # agents' console sign-ins
    "attribute_definitions",  # the workspace's custom field definitions (values live on contacts)
    "canned_replies",  # the workspace's reply templates
    "job_ticks",  # which tick of each scheduled job ran last (job names and numbers)
    "segments",  # saved rules
    # Customer success: the workspace's purchase model (population parameters, no customer's figures) and its
    # settings (discount rate, health weights, round-robin cursor); a playbook is a rule and a task title.
    "clv_models",
    "success_settings",
    "playbooks",
    "team_members",  # which agent is in which team
    "macros",  # the workspace's one-click actions (reply templates, tags, statuses)
    "invitation_rules",  # proactive-chat rules: conditions and a team's message
    "conversation_reads",  # how far each agent has read each conversation (agent ids and numbers)
    "help_centers",  # help center settings: content the business writes
    "help_collections",  # article categories: content the business writes
    "help_articles",  # articles: content the business writes
    "help_translations",  # articles' language versions: content the business writes
    "help_revisions",  # articles' history: content the business writes, by agents
    "help_images",  # images in articles: content the business writes
    "help_search_words",  # the vocabulary of published articles: content the business writes
    "help_old_article_slugs",  # former addresses (slugs) of articles: content the business writes
    "help_old_collection_slugs",  # former addresses (slugs) of collections: content the business writes
    "help_old_workspace_slugs",  # former help center addresses (workspace slugs): the business's own
    "help_search_documents",  # search index of published articles (with FTS5 shadow tables)
    "help_search_documents_content",  # search index of published articles (with FTS5 shadow tables)
    "help_search_documents_docsize",  # search index of published articles (with FTS5 shadow tables)
    "help_search_documents_idx",  # search index of published articles (with FTS5 shadow tables)
    "help_search_trigrams",  # search index of published articles (with FTS5 shadow tables)
    "help_search_trigrams_content",  # search index of published articles (with FTS5 shadow tables)
    "help_search_trigrams_docsize",  # search index of published articles (with FTS5 shadow tables)
    "help_search_trigrams_idx",  # search index of published articles (with FTS5 shadow tables)
}


async def _figures(client: httpx.AsyncClient, workspace: WorkspaceHandle, world: World) -> dict[str, object]:
    h = workspace.headers
    nps = (await client.get("/api/v1/reports/nps", headers=h)).json()
    reviews = (await client.get(f"/api/v1/public/{await _site_key(client, workspace)}/products/TEA-1/reviews")).json()
    complaints = (await client.get("/api/v1/reports/complaint-rate", headers=h)).json()
    referrals = (await client.get("/api/v1/reports/referrals", headers=h)).json()
    revenue = (await client.get("/api/v1/reports/revenue-split", headers=h)).json()
    chat = (await client.get(f"/api/v1/conversations/{world.erased.conversation_id}", headers=h)).json()
    return {
        "nps": nps["overall"],
        "csat": (nps["chat_csat_average"], nps["chat_csat_ratings"]),
        "review_average": (reviews["average"], reviews["count"]),
        "review_distribution": reviews["distribution"],
        "complaints": (complaints["complaints"], complaints["orders"], complaints["rate"]),
        "complaints_over_time": complaints["over_time"],
        "referred_contacts": referrals["referred_contacts"],
        "referral_rate": (referrals["referral_rate"], referrals["referred_new_customers"], referrals["new_customers"]),
        "revenue": revenue,
        "chat_times": (chat["first_response_seconds"], chat["resolution_seconds"], chat["csat_rating"]),
    }


async def _site_key(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    async with create_session_factory(workspace.engine)() as session:
        return (await get_chat_settings(session=session, workspace_id=workspace.id)).widget_token


async def test_erasure_leaves_nothing_of_the_person_in_any_column_of_any_table(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, world: World
) -> None:
    erased, survivor = world.erased, world.survivor
    counts = await row_counts(engine)
    empty = {table for table, n in counts.items() if n == 0}
    assert empty <= NO_PERSONAL_DATA, (
        f"fill these tables in the fixture, or argue they hold no personal data: {empty - NO_PERSONAL_DATA}"
    )
    before = await find_strings(engine, erased.secrets)
    # The scan sees the person everywhere they are (so an empty result below means something).
    for table in ("contacts", "contact_emails", "contact_phones", "messages", "visitors", "reviews",
                  "survey_recipients", "complaints", "complaint_events", "outbox_emails", "referral_codes",
                  "contact_notes", "contact_events", "conversations"):  # fmt: skip
        assert table in before, table
    figures_before = await _figures(mail_client, workspace, world)

    response = await mail_client.delete(
        f"/api/v1/contacts/{erased.contact_id}",
        params={"reason": f"asked by phone from {erased.phone}, {erased.name}"},
        headers=workspace.headers,
    )
    assert response.status_code == 204, response.text

    assert await find_strings(engine, erased.secrets) == {}
    # The survivor's data is all still there.
    left = await find_strings(engine, [survivor.name, survivor.email, survivor.token, survivor.user_id])
    for table in ("contacts", "contact_emails", "messages", "visitors", "reviews", "survey_recipients",
                  "complaints", "outbox_emails", "contact_notes"):  # fmt: skip
        assert table in left, table
    async with engine.connect() as connection:
        audit = (
            await connection.execute(text("SELECT details FROM audit_entries WHERE action = 'contact.erased'"))
        ).scalar_one()
    assert "[erased]" in str(audit)
    # The chat stays as a skeleton: every line's text gone, the agents still named, the visitor not.
    lines = (
        await mail_client.get(f"/api/v1/conversations/{erased.conversation_id}/messages", headers=workspace.headers)
    ).json()["items"]
    assert {line["body"] for line in lines} == {"[erased]"}
    named = [(line["author_type"], line["author_name"] is not None) for line in lines]
    # The visitor's line; the agent's reply, note and file (personal_world.build_world).
    expected = [("visitor", False), ("agent", True), ("agent", True), ("agent", True)]
    assert [entry for entry in named if entry[0] != "system"] == expected
    # What the figures keep: orders (revenue, complaint rate's orders), the chat's times and rating, and the
    # anonymised rating, answer, complaint and referrals (docs/registry.md).
    figures_after = await _figures(mail_client, workspace, world)
    for kept in ("revenue", "chat_times", "csat", "nps", "review_average", "review_distribution", "complaints",
                 "complaints_over_time", "referred_contacts"):  # fmt: skip
        assert figures_after[kept] == figures_before[kept], kept
    assert figures_before["review_average"] == (3.0, 2) and figures_before["nps"]["answers"] == 2
    assert figures_before["complaints"][:2] == (2, 2) and figures_before["referred_contacts"] == 2
    # The one figure that moves: the erased person was a referred *new customer*, and "new customer" is their
    # per-customer figures, which commerce forgets on erasure (commerce/personal_data.py). They leave the
    # numerator and the denominator together, as they leave every per-customer figure. Erasing a referrer
    # leaves the rate unchanged (tests/referrals/test_referrals.py).
    assert figures_before["referral_rate"] == (50.0, 1, 2)
    assert figures_after["referral_rate"] == (0.0, 0, 1)


async def test_export_holds_every_domains_rows(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, world: World
) -> None:
    erased = world.erased
    response = await mail_client.get(f"/api/v1/contacts/{erased.contact_id}/export", headers=workspace.headers)
    assert response.status_code == 200, response.text
    document = response.json()
    for section in ("notes", "timeline", "relationships", "orders", "lifecycle_history", "conversations",
                    "visitors", "reviews", "survey_answers", "complaints", "referrals_made", "emails"):  # fmt: skip
        assert document[section], section
    assert document["referral_code"] == erased.referral_code
    assert document["referred_by"]["code"] == world.survivor.referral_code
    assert [r["referred_id"] for r in document["referrals_made"]] == [world.third_id]
    assert document["visitors"][0]["external_user_id"] == erased.user_id
    bodies = [m["body"] for c in document["conversations"] for m in c["messages"]]
    assert sum(erased.token in body for body in bodies) == 3  # the visitor's line, the reply, the note
    files = [a for c in document["conversations"] for m in c["messages"] for a in m["attachments"]]
    assert [(a["filename"], a["uploaded_by"]) for a in files] == [(f"{erased.last} receipt.txt", "agent")]
    assert document["conversations"][0]["csat_comment"]
    assert document["survey_answers"][0]["comment"] and document["survey_answers"][0]["score"] == 2
    assert document["complaints"][0]["history"] and erased.token in document["complaints"][0]["description"]
    assert document["emails"][0]["to"] == erased.email
    assert erased.token in document["reviews"][0]["body"]
    [help_session] = document["help_center_sessions"]
    assert help_session["searches"][0]["query"] == "where is my order, [email]"  # logged without the address
    assert help_session["articles_opened"] and help_session["votes"][0]["helpful"] is False
    # Nothing of the other person is in it.
    assert world.survivor.token not in response.text and world.survivor.email not in response.text


async def test_merge_moves_every_domains_rows_to_the_contact_that_stays(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, world: World
) -> None:
    keep, dup = world.survivor.contact_id, world.erased.contact_id
    before = await row_counts(engine)
    response = await mail_client.post(
        f"/api/v1/contacts/{keep}/merge", json={"duplicate_id": dup}, headers=workspace.headers
    )
    assert response.status_code == 200, response.text
    after = await row_counts(engine)
    async with engine.connect() as connection:
        live = await reflect(connection)
        # No row anywhere still points at the duplicate.
        for table in live.sorted_tables:
            for column in table.columns:
                if column.name == "contact_id" or any(fk.column.table.name == "contacts" for fk in column.foreign_keys):
                    left = (await connection.execute(select(table).where(column == dup))).all()
                    assert left == [], f"{table.name}.{column.name} still points at the duplicate"
        merged_event = (
            await connection.execute(
                text("SELECT data FROM contact_events WHERE kind = 'merged' AND contact_id = :id"), {"id": keep}
            )
        ).scalar_one()
    # Rows that could not move are in the merge event, whole: both reviewed TEA-1 and answered the survey,
    # both had a referral code, and the stayer had referred the duplicate (now a self-referral).
    event = merged_event if isinstance(merged_event, dict) else json.loads(merged_event)
    not_taken = event["records_not_taken"]
    assert [r["rating"] for r in not_taken["reviews"]["reviews"]] == [1]
    assert [a["score"] for a in not_taken["surveys"]["survey_answers"]] == [2]
    assert not_taken["referrals"]["referral_code"] == world.erased.referral_code
    assert [r["referred_id"] for r in not_taken["referrals"]["referrals"]] == [dup]
    # Every other row is preserved: only these tables lose rows, each for the reason given.
    lost = {
        "contacts": 1,  # the duplicate itself
        "contact_tags": 1,  # both came from the chat, tagged "chat": the union holds the tag once
        "contact_relationships": 1,  # the stayer "bought for" the duplicate: a link to itself now
        "customer_figures": 1,  # one customer's figures instead of two, recomputed from both orders
        "customer_ranges": 1,
        "reviews": 1,  # in the merge event
        "survey_recipients": 1,  # in the merge event
        "referral_codes": 1,  # in the merge event
        "referrals": 1,  # in the merge event
        # Derived per-customer success rows: the next refresh scores the merged customer as one
        # (success/personal_data.py). The duplicate had a prediction, a health score and two history rows.
        "customer_predictions": 1,
        "customer_health": 1,
        "health_history": 2,
        # Both were in the segment endpoints were told of: the stayer is in it once.
        "webhook_segment_members": 1,
    }
    gained = {"contact_events": 1, "audit_entries": 1}  # the merge on the timeline and in the audit trail
    for table, n in before.items():
        expected = n - lost.get(table, 0) + gained.get(table, 0)
        if table == "lifecycle_changes":
            assert after[table] >= n, table  # a second order may move the stayer to another stage
            continue
        assert after[table] == expected, (table, n, after[table])
    h = workspace.headers
    kept_chats = (await mail_client.get("/api/v1/conversations", params={"contact_id": keep}, headers=h)).json()
    assert {world.erased.conversation_id, world.survivor.conversation_id} <= {c["id"] for c in kept_chats["items"]}
    complaints = (await mail_client.get("/api/v1/complaints", params={"contact_id": keep}, headers=h)).json()
    assert len(complaints["items"]) == 2
