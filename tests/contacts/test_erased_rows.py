"""Rows an erasure anonymised (reviews, survey answers, complaints, referrals) show everywhere without error.

They keep no contact: every console page and API listing that shows them must render them as an erased
customer, never 500 on the missing contact, and never show anything of the person.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import warnings

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import frontdesk
from frontdesk.commerce.models import Order
from frontdesk.complaints import personal_data as complaints_data
from frontdesk.complaints.models import Complaint, ComplaintEvent
from frontdesk.contacts.personal_data import ERASED_CONTACT_NAME
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.helpcenter.models import HelpArticle
from frontdesk.referrals import personal_data as referrals_data
from frontdesk.referrals.models import Referral
from frontdesk.reviews import personal_data as reviews_data
from frontdesk.reviews.models import Review
from frontdesk.surveys import personal_data as surveys_data
from frontdesk.surveys.models import SurveyRecipient
from tests.contacts.personal_world import World, build_world, row_counts
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import login


@pytest.fixture
async def erased_world(mail_client: httpx.AsyncClient, workspace: WorkspaceHandle) -> World:
    """The world of the erase test, once the person is erased."""
    world = await build_world(mail_client, workspace)
    response = await mail_client.delete(f"/api/v1/contacts/{world.erased.contact_id}", headers=workspace.headers)
    assert response.status_code == 204, response.text
    return world


async def _site_key(workspace: WorkspaceHandle) -> str:
    async with create_session_factory(workspace.engine)() as session:
        return (await get_chat_settings(session=session, workspace_id=workspace.id)).widget_token


async def _anonymised(engine: AsyncEngine) -> dict[str, int]:
    """How many rows of each kind have lost their contact."""
    async with create_session_factory(engine)() as session:

        async def count(*where: ColumnElement[bool]) -> int:
            return int(await session.scalar(select(func.count()).where(*where)) or 0)

        return {
            "reviews": await count(Review.contact_id.is_(None)),
            "survey_recipients": await count(SurveyRecipient.contact_id.is_(None)),
            "complaints": await count(Complaint.contact_id.is_(None)),
            "referrals_without_referrer": await count(Referral.referrer_id.is_(None)),
            "referrals_without_referred": await count(Referral.referred_id.is_(None)),
        }


def test_every_kept_column_exists_so_a_typo_cannot_keep_a_column_by_accident() -> None:
    for model, kept in (
        (Review, reviews_data.KEPT),
        (SurveyRecipient, surveys_data.KEPT),
        (Complaint, complaints_data.KEPT),
        (ComplaintEvent, complaints_data.EVENT_KEPT),
        (Referral, referrals_data.KEPT_WITHOUT_REFERRER),
        (Referral, referrals_data.KEPT_WITHOUT_REFERRED),
    ):
        columns = set(model.__table__.columns.keys())
        assert kept <= columns, (model.__tablename__, kept - columns)
    # The link to the erased person is never kept.
    assert "contact_id" not in reviews_data.KEPT | surveys_data.KEPT | complaints_data.KEPT
    assert "referrer_id" not in referrals_data.KEPT_WITHOUT_REFERRER
    assert "referred_id" not in referrals_data.KEPT_WITHOUT_REFERRED


async def test_erasure_anonymises_one_row_of_each_kind(engine: AsyncEngine, erased_world: World) -> None:
    assert await _anonymised(engine) == {
        "reviews": 1,
        "survey_recipients": 1,
        "complaints": 1,
        "referrals_without_referrer": 1,  # the erased person referred the third contact
        "referrals_without_referred": 1,  # the survivor referred the erased person
    }


async def test_api_listings_show_anonymised_rows_as_an_erased_customer(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, erased_world: World
) -> None:
    h, secrets = workspace.headers, erased_world.erased.secrets

    async def get(url: str, **params: object) -> httpx.Response:
        response = await mail_client.get(url, params=params, headers=h)
        assert response.status_code == 200, (url, response.text)
        assert not [s for s in secrets if s.lower() in response.text.lower()], url
        return response

    reviews = (await get("/api/v1/reviews", status="approved")).json()["items"]
    erased_review = next(r for r in reviews if r["contact_id"] is None)
    assert erased_review["contact_name"] == ERASED_CONTACT_NAME and erased_review["rating"] == 1
    assert (erased_review["title"], erased_review["body"], erased_review["reply"]) == ("", "", None)
    await get(f"/api/v1/reviews/{erased_review['id']}")
    answers = (await get(f"/api/v1/surveys/{erased_world.survey_id}/answers")).json()["items"]
    assert [(a["contact_name"], a["score"], a["comment"]) for a in answers if a["contact_id"] is None] == [
        (ERASED_CONTACT_NAME, 2, None)
    ]
    await get(f"/api/v1/surveys/{erased_world.survey_id}/results")
    complaints = (await get("/api/v1/complaints")).json()["items"]
    erased_complaint = next(c for c in complaints if c["contact_id"] is None)
    assert erased_complaint["contact_name"] == ERASED_CONTACT_NAME and erased_complaint["status"] == "resolved"
    history = (await get(f"/api/v1/complaints/{erased_complaint['id']}")).json()["history"]
    assert [event["kind"] for event in history] == ["raised", "changed"] and all(not e["data"] for e in history)
    # An erased person's low scores stay in the figures, but nobody is left to follow up with.
    suggestions = (await get("/api/v1/complaints/suggestions")).json()
    assert all(s["contact_name"] != ERASED_CONTACT_NAME for s in suggestions)
    referrals = (await get("/api/v1/referrals")).json()["items"]
    assert {(r["referrer_name"], r["referred_name"]) for r in referrals} == {
        (ERASED_CONTACT_NAME, "Tertius Third"),
        (erased_world.survivor.name, ERASED_CONTACT_NAME),
    }
    report = (await get("/api/v1/reports/referrals")).json()
    assert report["referred_contacts"] == 2
    # Top referrers are people: the erased one is not listed, the survivor still is.
    assert [t["name"] for t in report["top_referrers"]] == [erased_world.survivor.name]
    await get("/api/v1/reports/nps")
    await get("/api/v1/reports/complaint-rate")
    # Public: the erased reviewer's rating is in the summary; the list shows only the survivor's review.
    public = (await get(f"/api/v1/public/{await _site_key(workspace)}/products/TEA-1/reviews")).json()
    assert (public["count"], public["distribution"]["1"]) == (2, 1)
    assert [item["rating"] for item in public["items"]] == [5]


async def test_console_pages_render_anonymised_rows(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, erased_world: World
) -> None:
    signed_in = await login(mail_client, workspace.admin_email)
    assert signed_in.status_code == 303
    complaints = (await mail_client.get("/api/v1/complaints", headers=workspace.headers)).json()["items"]
    erased_complaint = next(c["id"] for c in complaints if c["contact_id"] is None)
    pages = [
        "/reviews?status=approved",
        f"/surveys/{erased_world.survey_id}",
        "/surveys/report",
        "/complaints",
        f"/complaints/{erased_complaint}",
        "/referrals",
        f"/reviews/{await _site_key(workspace)}/TEA-1",  # the public product page
    ]
    for url in pages:
        response = await mail_client.get(url)
        assert response.status_code == 200, (url, response.text)
        text = response.text.lower()
        assert not [s for s in erased_world.erased.secrets if s.lower() in text], url
        assert "/contacts/none" not in text, url
    for url in pages[:2] + pages[4:6]:
        assert ERASED_CONTACT_NAME in (await mail_client.get(url)).text, url
    # Working an anonymised complaint still works: there is no contact's timeline to write to, and looking one
    # up by a missing id is not attempted (SQLAlchemy warns about it; warnings are errors here).
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', (await mail_client.get("/complaints")).text)
    assert csrf is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reopened = await mail_client.post(
            f"/complaints/{erased_complaint}", data={"csrf_token": csrf.group(1), "status": "open", "resolution": ""}
        )
    assert reopened.status_code in (200, 303), reopened.text


async def test_an_erased_recipients_survey_link_stops_working(
    mail_client: httpx.AsyncClient, engine: AsyncEngine, erased_world: World
) -> None:
    link = f"/s/{erased_world.erased.survey_token}"
    assert 400 <= (await mail_client.get(link)).status_code < 500
    changed = await mail_client.post(link, data={"score": "10", "comment": "changed"})
    assert 400 <= changed.status_code < 500
    async with create_session_factory(engine)() as session:
        scores = await session.scalars(select(SurveyRecipient.score).where(SurveyRecipient.contact_id.is_(None)))
        assert list(scores) == [2]


async def test_no_complaint_can_be_raised_from_an_erased_persons_review_or_answer(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, erased_world: World
) -> None:
    async with create_session_factory(engine)() as session:
        review_id = await session.scalar(select(Review.id).where(Review.contact_id.is_(None)))
        answer_id = await session.scalar(select(SurveyRecipient.id).where(SurveyRecipient.contact_id.is_(None)))
    for field, value in (("review_id", review_id), ("survey_answer_id", answer_id)):
        response = await mail_client.post(
            "/api/v1/complaints", json={field: value, "summary": "Low score"}, headers=workspace.headers
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text and "erased" in response.text


async def test_merges_after_an_erasure_leave_anonymised_rows_alone(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, erased_world: World
) -> None:
    h = workspace.headers
    # A fourth contact, referred by the survivor, is a duplicate of the third, whom the erased person referred:
    # both were referred, so the stayer's referral (from an erased referrer) is kept and the duplicate's is not.
    fourth = await mail_client.post(
        "/api/v1/contacts",
        params={"referral_code": erased_world.survivor.referral_code},
        json={"name": "Quartus Fourth"},
        headers=h,
    )
    assert fourth.status_code == 201, fourth.text
    anonymised, before = await _anonymised(engine), await row_counts(engine)
    merged = await mail_client.post(
        f"/api/v1/contacts/{erased_world.third_id}/merge", json={"duplicate_id": fourth.json()["id"]}, headers=h
    )
    assert merged.status_code == 200, merged.text
    assert await _anonymised(engine) == anonymised
    after = await row_counts(engine)
    assert after["referrals"] == before["referrals"] - 1  # the duplicate's, in the merge event
    for table in ("reviews", "survey_recipients", "complaints", "complaint_events"):
        assert after[table] == before[table], table
    referrals = (await mail_client.get("/api/v1/referrals", headers=h)).json()["items"]
    assert (ERASED_CONTACT_NAME, "Tertius Third") in {(r["referrer_name"], r["referred_name"]) for r in referrals}


def _console_get_paths() -> list[str]:
    """Every GET route of every console and public page module (``*.pages``, ``*.public``)."""
    paths = []
    for module_info in pkgutil.walk_packages(frontdesk.__path__, "frontdesk."):
        if module_info.name.rsplit(".", 1)[-1] in ("pages", "public"):
            router = getattr(importlib.import_module(module_info.name), "router", None)
            for route in getattr(router, "routes", []):
                if isinstance(route, APIRoute) and "GET" in route.methods:
                    paths.append(route.path)
    return paths


async def test_no_get_of_the_api_or_the_console_fails_on_an_anonymised_row(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, erased_world: World
) -> None:
    """Generic over every GET operation of the OpenAPI and every console page: path ids point at the anonymised
    rows (or at what is left of the erased person: their chat, their order), and nothing answers 5xx."""
    async with create_session_factory(engine)() as session:
        ids = {
            "review_id": await session.scalar(select(Review.id).where(Review.contact_id.is_(None))),
            "complaint_id": await session.scalar(select(Complaint.id).where(Complaint.contact_id.is_(None))),
            "order_id": await session.scalar(select(Order.id).where(Order.buyer_id.is_(None))),
            # The world's help article (published in English), read by the public help center API too.
            "article_id": await session.scalar(
                select(HelpArticle.id).where(HelpArticle.workspace_id == workspace.id).order_by(HelpArticle.id)
            ),
        }
    ids |= {
        "locale": "en",  # a help article's language version (the world's article is in English)
        "survey_id": erased_world.survey_id,
        "conversation_id": erased_world.erased.conversation_id,
        "contact_id": erased_world.survivor.contact_id,
        "site_key": await _site_key(workspace),
        "sku": erased_world.product_sku,
        "token": erased_world.erased.survey_token,
        "segment": "new",
        "agent_id": 1,
    }
    spec = (await mail_client.get("/api/v1/openapi.json")).json()
    api = [path for path, operations in spec["paths"].items() if "get" in operations]
    # API operations refuse query parameters they do not declare: ask for approved reviews only where it exists.
    with_status = {
        path
        for path, operations in spec["paths"].items()
        if any(p["name"] == "status" for p in operations.get("get", {}).get("parameters", []))
    }
    signed_in = await login(mail_client, workspace.admin_email)
    assert signed_in.status_code == 303
    console = _console_get_paths()
    assert len(api) > 30 and {"/reviews", "/complaints/{complaint_id}", "/referrals"} <= set(console)
    # A GET with valid ids and no body leaves the client nothing to get wrong: a 422 here means the server could
    # not build its own answer (a response model that refuses the missing contact), as bad as a 5xx.
    failed = {}
    for path in api + console:
        url = re.sub(r"{(\w+)}", lambda match: str(ids.get(match.group(1), 1)), path)
        headers = workspace.headers if path.startswith("/api/") else {}
        takes_status = path in with_status or not path.startswith("/api/")
        walks: tuple[dict[str, str], ...] = ({},)
        if "review" in path and takes_status:
            walks = ({}, {"status": "approved"})
        elif path in ("/api/v1/help/search", "/api/v1/public/{site_key}/help/search"):
            walks = ({"q": "order"},)  # its one required parameter: the question
        for params in walks:
            response = await mail_client.get(url, params=params, headers=headers)
            # Except the purchase model's "not enough data" (a 422 by design: the world has too few orders to fit).
            not_enough_data = response.status_code == 422 and response.json().get("title") == "Not enough data"
            if response.status_code >= 500 or (response.status_code == 422 and not not_enough_data):
                failed[f"{url} {params}"] = (response.status_code, response.text[:300])
    assert failed == {}
