"""Test data: workspaces with keys, and contacts, created through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.schemas import VisitorMessage
from frontdesk.conversations.visitors import do_start_visitor, do_visitor_message, get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate, ApiKeyCreate
from frontdesk.workspaces.service import do_create_agent, do_create_api_key, do_create_workspace

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


@dataclass
class WorkspaceHandle:
    id: int
    name: str
    api_key: str
    admin_email: str
    engine: AsyncEngine

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    async def key_with_role(self, role: Role) -> dict[str, str]:
        async with create_session_factory(self.engine)() as session:
            _, key = await do_create_api_key(
                session=session, workspace_id=self.id, data=ApiKeyCreate(name=f"{role} key", role=role), actor="test"
            )
            await session.commit()
        return {"Authorization": f"Bearer {key}"}

    async def add_agent(self, role: Role = Role.agent) -> str:
        email = f"agent{next(_sequence)}@{self.name.split()[0].lower()}.example"
        async with create_session_factory(self.engine)() as session:
            await do_create_agent(
                session=session,
                workspace_id=self.id,
                data=AgentCreate(email=email, display_name=f"Agent {role}", password=PASSWORD, role=role),
            )
            await session.commit()
        return email

    async def conversation(self, body: str = "Hello?", **fields: Any) -> int:
        return await start_conversation(self.engine, self.id, body, **fields)

    async def contact(self, **fields: Any) -> int:
        named = {"name", "first_name", "last_name"} & fields.keys()
        data = fields if named else {"name": f"Contact {next(_sequence)}", **fields}
        async with create_session_factory(self.engine)() as session:
            contact = await do_create_contact(
                session=session, workspace_id=self.id, data=ContactCreate.model_validate(data), actor="test"
            )
            await session.commit()
            return contact.id

    async def product(self, sku: str, range_name: str = "Main range") -> int:
        async with create_session_factory(self.engine)() as session:
            product = await do_upsert_product(
                session=session, workspace_id=self.id, data=ProductCreate(sku=sku, name=sku.title(), range=range_name)
            )
            await session.commit()
            return product.id

    async def order(self, external_id: str, buyer_id: int, *skus: str, **fields: Any) -> int:
        """A completed order of one unit of each SKU at 10.00 (unless ``lines`` is given): its id."""
        data = {
            "external_id": external_id,
            "buyer_id": buyer_id,
            "currency": "EUR",
            "ordered_at": "2026-01-10T12:00:00Z",
            "lines": [{"sku": sku, "quantity": 1, "unit_price": "10.00"} for sku in skus],
            **fields,
        }
        async with create_session_factory(self.engine)() as session:
            outcome = await write_orders(
                session=session, workspace_id=self.id, orders=[OrderCreate.model_validate(data)], actor="test"
            )
            assert not outcome.errors, outcome.errors
            await session.commit()
            return outcome.order_ids[external_id]


async def start_conversation(engine: AsyncEngine, workspace_id: int, body: str, **fields: Any) -> int:
    """A visitor of the workspace writes ``body``: the conversation's id."""
    async with create_session_factory(engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace_id)
        started = await do_start_visitor(session=session, settings=settings, visitor_token=None)
        conversation, _, _ = await do_visitor_message(
            session=session, visitor=started.visitor, data=VisitorMessage(body=body, **fields), outbox=Outbox()
        )
        await session.commit()
        return conversation.id


async def make_workspace(engine: AsyncEngine, name: str) -> WorkspaceHandle:
    admin_email = f"admin{next(_sequence)}@{name.split()[0].lower()}.example"
    async with create_session_factory(engine)() as session:
        workspace, _, key = await do_create_workspace(
            session=session, name=name, admin=AgentCreate(email=admin_email, display_name="Admin", password=PASSWORD)
        )
        await session.commit()
    return WorkspaceHandle(id=workspace.id, name=name, api_key=key, admin_email=admin_email, engine=engine)
