"""Files both ways over real sockets against a running `frontdesk serve`: each side sees the other's file live
and can open it (the visitor by the signed link in the event, the agent with their console session)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conversations.chat_clients import SITE, Agent, Visitor, allow_site
from tests.factories import WorkspaceHandle
from tests.storage.samples import PDF, PNG


async def test_an_agents_file_reaches_the_visitor_with_a_link_that_opens(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    agent = Agent(server_url, workspace.admin_email)
    await agent.login()
    visitor = Visitor(server_url, token)
    await visitor.start_session()
    await visitor.connect()
    try:
        await visitor.send("Can you send the invoice?")
        conversation_id = (await visitor.expect("ack"))["conversation_id"]
        sent = await agent.http.post(
            f"/inbox/{conversation_id}/attachments",
            files={"file": ("invoice.pdf", PDF, "application/pdf")},
            data={"client_id": uuid.uuid4().hex},
            headers={"X-CSRF-Token": agent.csrf},
        )
        assert sent.status_code == 200, sent.text
        assert "invoice.pdf" in sent.text and 'download="invoice.pdf"' in sent.text
        message = await visitor.wait_for_body("invoice.pdf")
        assert message["body"] == "invoice.pdf" and message["author_type"] == "agent"
        (attachment,) = message["attachments"]
        assert attachment["content_type"] == "application/pdf" and not attachment["is_image"]
        async with httpx.AsyncClient(base_url=server_url) as stranger_browser:  # no cookies: only the link
            opened = await stranger_browser.get(attachment["url"])
            assert opened.status_code == 200 and opened.content == PDF
            assert opened.headers["content-disposition"].startswith("attachment;")
            unsigned = await stranger_browser.get(attachment["url"].split("?", 1)[0])
            assert unsigned.status_code == 303  # to the console's sign-in, never the file
    finally:
        await visitor.close()
        await agent.close()


async def test_a_visitors_file_reaches_the_console_live_and_opens_for_agents(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    token = await allow_site(engine, workspace.id)
    agent = Agent(server_url, workspace.admin_email)
    await agent.login()
    await agent.connect()
    visitor = Visitor(server_url, token)
    await visitor.start_session()
    await visitor.connect()
    try:
        # The socket follows the conversation its first line started (a file-first chat: see the report).
        await visitor.send("Hello")
        await visitor.expect("ack")
        async with httpx.AsyncClient(base_url=server_url) as widget:
            ack = await widget.post(
                "/widget/api/attachments",
                data={
                    "widget_token": token,
                    "visitor_token": visitor.visitor_token or "",
                    "client_id": "photo-1",
                    "body": "It arrived like this",
                },
                files={"file": ("IMG_0001.JPG", PNG, "image/jpeg")},  # the browser's word is not taken
                headers={"Origin": SITE},
            )
        assert ack.status_code == 200, ack.text
        assert ack.headers["access-control-allow-origin"] == SITE
        sent = ack.json()["message"]
        assert sent["body"] == "It arrived like this"
        assert sent["attachments"][0]["filename"] == "IMG_0001.png"  # named for what the bytes are
        assert sent["attachments"][0]["content_type"] == "image/png" and sent["attachments"][0]["is_image"]

        seen = await agent.expect("message", conversation_id=ack.json()["conversation_id"])
        while seen["message"]["body"] != "It arrived like this":  # the "Hello" came first
            seen = await agent.expect("message", conversation_id=ack.json()["conversation_id"])
        (attachment,) = seen["message"]["attachments"]
        assert "sig=" not in attachment["url"]
        opened = await agent.http.get(attachment["url"])
        assert opened.status_code == 200 and opened.content == PNG
        assert opened.headers["content-type"] == "image/png"
        assert opened.headers["content-disposition"].startswith("inline;")
        # The visitor's own socket gets the line too (another tab of theirs), with a link they can open.
        echoed = await visitor.wait_for_body("It arrived like this")
        assert "sig=" in echoed["attachments"][0]["url"]
    finally:
        await visitor.close()
        await agent.close()
