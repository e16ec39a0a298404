"""The personal-data registry: every table that points at contacts has an owner, and merges resolve collisions."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from frontdesk.app import create_app
from frontdesk.contacts import personal_data
from frontdesk.contacts.personal_data import erased_values
from frontdesk.db import Base, create_session_factory
from frontdesk.settings import Settings
from frontdesk.surveys import service as surveys
from frontdesk.surveys.models import SurveyRecipient
from frontdesk.surveys.schemas import AnswerCreate
from tests.contacts.personal_world import RECENT, World, reflect
from tests.factories import WorkspaceHandle


async def test_every_table_that_points_at_contacts_has_a_registered_owner(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        live = await reflect(connection)
    referencing = personal_data.tables_referencing_contacts(live)
    assert {"reviews", "survey_recipients", "complaints", "referrals", "visitors", "orders"} <= referencing
    assert personal_data.unowned_tables(live) == set()


def test_a_table_without_an_owner_stops_export_erasure_and_merge() -> None:
    metadata = MetaData()
    Table("contacts", metadata, Column("id", Integer, primary_key=True))
    Table(
        "loyalty_cards", metadata, Column("id", Integer, primary_key=True), Column("holder", ForeignKey("contacts.id"))
    )
    assert personal_data.unowned_tables(metadata) == {"loyalty_cards"}
    with pytest.raises(RuntimeError, match="loyalty_cards"):
        personal_data.require_complete(metadata)


def test_two_domains_cannot_claim_the_same_table() -> None:
    owner = personal_data.owners()[0]
    with pytest.raises(RuntimeError, match="another domain owns"):
        personal_data.register(
            personal_data.PersonalDataOwner("intruder", owner.tables, owner.export, owner.erase, owner.merge)
        )
    assert "intruder" not in {o.domain for o in personal_data.owners()}


def test_a_new_chat_column_is_erased_unless_declared_kept() -> None:
    class ProbeBase(DeclarativeBase):
        pass

    class Chat(ProbeBase):
        __tablename__ = "chats"
        id: Mapped[int] = mapped_column(primary_key=True)
        claimed_email: Mapped[str | None] = mapped_column(String(320))
        page_title: Mapped[str] = mapped_column(String(200))

    with pytest.raises(RuntimeError, match=r"chats\.page_title is required"):
        erased_values(Chat, frozenset({"id"}), {})
    assert erased_values(Chat, frozenset({"id"}), {"page_title": ""}) == {"claimed_email": None, "page_title": ""}


async def test_merging_into_a_contact_without_those_rows_moves_code_answers_and_reviews(
    mail_client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine, world: World
) -> None:
    # The third contact was referred by the erased person and has no code, review or survey invitation.
    h, keep, dup = workspace.headers, world.third_id, world.erased.contact_id
    response = await mail_client.post(f"/api/v1/contacts/{keep}/merge", json={"duplicate_id": dup}, headers=h)
    assert response.status_code == 200, response.text
    code = (await mail_client.get(f"/api/v1/contacts/{keep}/referral-code", headers=h)).json()["code"]
    assert code == world.erased.referral_code  # links already handed out keep working
    referrals = (await mail_client.get("/api/v1/referrals", headers=h)).json()["items"]
    # The duplicate's own referral (by the survivor) is the stayer's now; "referred by themselves" is dropped.
    assert [(r["referrer_id"], r["referred_id"]) for r in referrals] == [(world.survivor.contact_id, keep)]
    reviews = (await mail_client.get("/api/v1/reviews", params={"contact_id": keep}, headers=h)).json()["items"]
    assert [r["rating"] for r in reviews] == [1]
    async with engine.connect() as connection:
        scores = (
            await connection.execute(select(SurveyRecipient.score).where(SurveyRecipient.contact_id == keep))
        ).all()
        event = (
            await connection.execute(
                text("SELECT data FROM contact_events WHERE kind = 'merged' AND contact_id = :id"), {"id": keep}
            )
        ).scalar_one()
    assert [s for (s,) in scores] == [2]
    data = event if isinstance(event, dict) else json.loads(event)
    assert [(r["referrer_id"], r["referred_id"]) for r in data["records_not_taken"]["referrals"]["referrals"]] == [
        (dup, keep)
    ]
    assert set(data["records_not_taken"]) == {"referrals"}


async def test_merging_two_recipients_of_one_survey_keeps_the_answer_whichever_contact_gave_it(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    h = workspace.headers
    await workspace.product("TEA-1")
    keep = await workspace.contact(name="Kept Unanswered")
    dup = await workspace.contact(name="Dup Answered")
    for n, contact in enumerate((keep, dup)):
        await workspace.order(f"S-{n}", contact, "TEA-1", ordered_at=RECENT)
    survey = (await client.post("/api/v1/surveys", json={"name": "NPS", "segment": "new"}, headers=h)).json()
    assert (await client.post(f"/api/v1/surveys/{survey['id']}/send", headers=h)).status_code == 200
    links = await client.get(f"/api/v1/surveys/{survey['id']}/links", headers=h)
    link = {row["name"]: row["link"] for row in csv.DictReader(io.StringIO(links.text))}["Dup Answered"]
    async with create_session_factory(engine)() as session:
        token = link.rsplit("/s/", 1)[1]
        await surveys.do_answer(session=session, token=token, data=AnswerCreate(score=9, comment="lovely"))
        await session.commit()

    response = await client.post(f"/api/v1/contacts/{keep}/merge", json={"duplicate_id": dup}, headers=h)
    assert response.status_code == 200, response.text
    async with engine.connect() as connection:
        rows = (
            await connection.execute(select(SurveyRecipient.contact_id, SurveyRecipient.score, SurveyRecipient.comment))
        ).all()
    assert [tuple(row) for row in rows] == [(keep, 9, "lovely")]
    timeline = (await client.get(f"/api/v1/contacts/{keep}/timeline", headers=h)).json()["items"]
    merged = next(item for item in timeline if item["kind"] == "merged")
    assert [a["score"] for a in merged["data"]["records_not_taken"]["surveys"]["survey_answers"]] == [None]


def test_the_app_refuses_to_start_while_a_table_that_points_at_contacts_has_no_owner(settings: Settings) -> None:
    probe = Table(
        "loyalty_cards_probe",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("holder", ForeignKey("contacts.id")),
    )
    try:
        with pytest.raises(RuntimeError, match="loyalty_cards_probe"):
            create_app(settings)
    finally:
        Base.metadata.remove(probe)
    create_app(settings)
