"""NPS surveys: sent once to a segment, answered through personal links, reported as NPS."""

from __future__ import annotations

import csv
import email
import email.policy
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.db import create_session_factory
from frontdesk.feedback.links import sign_link
from frontdesk.feedback.mail import deliver_pending
from frontdesk.feedback.models import OutboxEmail
from frontdesk.settings import Settings
from frontdesk.surveys import service
from frontdesk.surveys.models import SurveyRecipient
from frontdesk.surveys.schemas import AnswerCreate
from tests.factories import WorkspaceHandle
from tests.smtp_server import running_smtp

RECENT = (datetime.now(UTC) - timedelta(days=5)).isoformat()  # customers of a week ago are "new"


class Mailbox:
    """An SMTP server on localhost that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[attr-defined]
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        self.messages.append((list(envelope.rcpt_tos), body.get_content()))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    box = Mailbox()
    with running_smtp(box) as port:
        yield box, f"smtp://127.0.0.1:{port}"


async def _customers(workspace: WorkspaceHandle) -> dict[str, int]:
    await workspace.product("TEA-1")
    ids = {
        "ann": await workspace.contact(name="Ann", emails=["ann@example.com"]),
        "bob": await workspace.contact(name="Bob", emails=["bob@example.com"]),
        "cy": await workspace.contact(name="Cy"),  # no e-mail: reached through the exported link
        "dee": await workspace.contact(name="Dee", emails=["dee@example.com"]),  # never buys: not in the segment
    }
    for n, name in enumerate(("ann", "bob", "cy")):
        await workspace.order(f"O-{n}", ids[name], "TEA-1", ordered_at=RECENT)
    return ids


async def _links(client: httpx.AsyncClient, workspace: WorkspaceHandle, survey_id: int) -> dict[str, str]:
    export = await client.get(f"/api/v1/surveys/{survey_id}/links", headers=workspace.headers)
    assert export.status_code == 200, export.text
    return {row["name"]: row["link"] for row in csv.DictReader(io.StringIO(export.text))}


def _token(link: str) -> str:
    return link.rsplit("/s/", 1)[1]


async def _survey(client: httpx.AsyncClient, workspace: WorkspaceHandle, **fields: object) -> int:
    data = {"name": "Autumn NPS", "segment": "new", **fields}
    created = await client.post("/api/v1/surveys", json=data, headers=workspace.headers)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


@pytest.fixture
async def mail_client(
    engine: AsyncEngine, settings: Settings, mailbox: tuple[Mailbox, str]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"smtp_url": mailbox[1]}), engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def test_sending_reaches_the_segment_once_and_mails_each_recipient_once(
    mail_client: httpx.AsyncClient,
    workspace: WorkspaceHandle,
    engine: AsyncEngine,
    settings: Settings,
    mailbox: tuple[Mailbox, str],
) -> None:
    ids = await _customers(workspace)
    survey_id = await _survey(mail_client, workspace)
    sent = await mail_client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {
        "recipients": 3, "added": 3, "emails_queued": 2, "without_email": 1, "mail_configured": True
    }  # fmt: skip
    again = await mail_client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    assert again.json()["added"] == 0 and again.json()["emails_queued"] == 0

    factory = create_session_factory(engine)
    smtp = settings.model_copy(update={"smtp_url": mailbox[1]})
    assert await deliver_pending(factory, smtp) == {"sent": 2, "failed": 0, "deferred": 0}
    assert await deliver_pending(factory, smtp) == {"sent": 0, "failed": 0, "deferred": 0}
    box = mailbox[0]
    assert sorted(to[0] for to, _ in box.messages) == ["ann@example.com", "bob@example.com"]
    links = await _links(mail_client, workspace, survey_id)
    assert set(links) == {"Ann", "Bob", "Cy"}
    ann_mail = next(body for to, body in box.messages if to == ["ann@example.com"])
    assert links["Ann"] in ann_mail

    # A contact joining the segment later gets the survey on the next send, and only they do.
    await workspace.order("O-dee", ids["dee"], "TEA-1", ordered_at=RECENT)
    later = await mail_client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    assert (later.json()["added"], later.json()["emails_queued"], later.json()["recipients"]) == (1, 1, 4)
    assert await deliver_pending(factory, smtp) == {"sent": 1, "failed": 0, "deferred": 0}
    assert len(box.messages) == 3
    async with factory() as session:
        status = await session.scalar(select(OutboxEmail.status).where(OutboxEmail.to_address == "dee@example.com"))
        assert status == "sent"


async def test_without_smtp_nothing_is_queued_and_links_are_exported(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _customers(workspace)
    survey_id = await _survey(client, workspace)
    sent = await client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    assert (sent.json()["emails_queued"], sent.json()["mail_configured"]) == (0, False)
    links = await _links(client, workspace, survey_id)
    assert len(links) == 3 and all(link.startswith("http://127.0.0.1:8000/s/") for link in links.values())


async def test_the_public_page_takes_one_answer_changeable_within_the_window(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await _customers(workspace)
    survey_id = await _survey(client, workspace, change_hours=48)
    await client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    token = _token((await _links(client, workspace, survey_id))["Ann"])

    page = await client.get(f"/s/{token}")
    assert page.status_code == 200 and "How likely are you to recommend us" in page.text
    assert 'name="score"' in page.text and "Acme Shop" in page.text
    bad = await client.post(f"/s/{token}", data={"score": "11"})
    assert bad.status_code == 422 and "Pick a number from 0 to 10" in bad.text
    first = await client.post(f"/s/{token}", data={"score": "3", "comment": "<b>Slow</b> delivery<script>x()</script>"})
    assert first.status_code == 200 and "Your answer is saved" in first.text
    changed = await client.post(f"/s/{token}", data={"score": "9", "comment": "Actually great, thanks!"})
    assert changed.status_code == 200

    answers = (await client.get(f"/api/v1/surveys/{survey_id}/answers", headers=workspace.headers)).json()["items"]
    assert len(answers) == 1  # changed, not added
    assert (answers[0]["score"], answers[0]["comment"]) == (9, "Actually great, thanks!")
    assert answers[0]["sentiment"] > 0.05

    async with create_session_factory(engine)() as session:
        recipient = await session.scalar(select(SurveyRecipient).where(SurveyRecipient.score.is_not(None)))
        assert recipient is not None and recipient.first_answered_at is not None
        late = recipient.first_answered_at + timedelta(hours=48, seconds=1)
        with pytest.raises(service.Conflict):
            await service.do_answer(session=session, token=token, data=AnswerCreate(score=0), now=late)
        just_in_time = recipient.first_answered_at + timedelta(hours=47)
        await service.do_answer(session=session, token=token, data=AnswerCreate(score=10), now=just_in_time)
        await session.rollback()


async def test_links_cannot_be_forged_expired_or_used_across_workspaces(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await _customers(workspace)
    survey_id = await _survey(client, workspace, valid_days=1)
    await client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    token = _token((await _links(client, workspace, survey_id))["Ann"])
    payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for forged in (f"{payload}.{flipped}", "nonsense", f"{payload}."):
        assert (await client.get(f"/s/{forged}")).status_code == 404
        assert (await client.post(f"/s/{forged}", data={"score": "10"})).status_code == 404
    # A genuine link of the other workspace naming this workspace's recipient opens nothing.
    async with create_session_factory(engine)() as session:
        recipient_id = await session.scalar(select(SurveyRecipient.id).limit(1))
        assert recipient_id is not None
        cross = sign_link(
            workspace_id=other_workspace.id, purpose="survey", subject_id=recipient_id, valid_for=timedelta(days=1)
        )
        review_link = sign_link(
            workspace_id=workspace.id, purpose="review", subject_id=recipient_id, valid_for=timedelta(days=1)
        )
        expired = sign_link(
            workspace_id=workspace.id,
            purpose="survey",
            subject_id=recipient_id,
            valid_for=timedelta(days=1),
            now=datetime.now(UTC) - timedelta(days=2),
        )
    for other in (cross, review_link, expired):
        response = await client.post(f"/s/{other}", data={"score": "10"})
        assert response.status_code == 404
    answers = (await client.get(f"/api/v1/surveys/{survey_id}/answers", headers=workspace.headers)).json()
    assert answers["items"] == []


async def test_nps_results_match_a_hand_count_overall_by_segment_and_month(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await workspace.product("TEA-1")
    scores = {"A": 10, "B": 9, "C": 8, "D": 6, "E": 0}  # 2 promoters, 1 passive, 2 detractors: NPS 0
    ids = {}
    for n, name in enumerate(scores):
        ids[name] = await workspace.contact(name=name, country="DE" if name in "AB" else "FR")
        await workspace.order(f"O-{n}", ids[name], "TEA-1", ordered_at=RECENT)
    survey_id = await _survey(client, workspace)
    await client.post(f"/api/v1/surveys/{survey_id}/send", headers=workspace.headers)
    links = await _links(client, workspace, survey_id)
    async with create_session_factory(engine)() as session:
        for name, score in scores.items():
            when = datetime(2026, 10, 5, tzinfo=UTC) if name in "AD" else datetime(2026, 11, 5, tzinfo=UTC)
            await service.do_answer(
                session=session, token=_token(links[name]), data=AnswerCreate(score=score), now=when
            )
        await session.commit()
    german = await client.post(
        "/api/v1/segments", json={"name": "Germany", "rule": 'country = "DE"'}, headers=workspace.headers
    )
    results = (await client.get(f"/api/v1/surveys/{survey_id}/results", headers=workspace.headers)).json()
    assert results["overall"] == {"answers": 5, "promoters": 2, "passives": 1, "detractors": 2, "nps": 0.0}
    months = {row["period"]: (row["answers"], row["nps"]) for row in results["over_time"]}
    assert months == {"2026-10": (2, 0.0), "2026-11": (3, 0.0)}  # Oct: A 10, D 6; Nov: B 9, C 8, E 0
    by_segment = {row["segment"]: row["nps"] for row in results["by_segment"]}
    assert by_segment[german.json()["id"]] == 100.0 and by_segment["new"] == 0.0
    eu_since_november = {"segment": "region-eu", "since": "2026-11-01T00:00:00Z"}
    recent_eu = await client.get("/api/v1/reports/nps", params=eu_since_november, headers=workspace.headers)
    assert recent_eu.json()["overall"]["answers"] == 3
    weeks = await client.get(
        f"/api/v1/surveys/{survey_id}/results", params={"period": "week"}, headers=workspace.headers
    )
    assert {row["period"] for row in weeks.json()["over_time"]} == {"2026-W41", "2026-W45"}
    naive = await client.get("/api/v1/reports/nps", params={"since": "2026-11-01T00:00:00"}, headers=workspace.headers)
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "since"
    unknown = await client.get("/api/v1/reports/nps", params={"segment": "nope"}, headers=workspace.headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "segment"


async def test_a_survey_needs_a_known_segment(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    response = await client.post(
        "/api/v1/surveys", json={"name": "X", "segment": "no-such-segment"}, headers=workspace.headers
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "segment"
