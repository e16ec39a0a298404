"""Where shops post their webhooks: /hooks/shops/TOKEN, verified by the shop's own signature scheme.

Public (the shop has no API key) and outside the API document. The body is read as raw bytes and its
signature checked before anything parses it; a bad or missing signature is a 401 and nothing is stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from frontdesk.connections.receiving import MAX_BODY_BYTES, do_receive
from frontdesk.deps import DbSession
from frontdesk.errors import FieldError, problem

router = APIRouter(include_in_schema=False)


@router.post("/hooks/shops/{token}")
async def receive_shop_webhook(token: str, request: Request, session: DbSession) -> JSONResponse:
    body = await request.body()  # the InputGuard bounds every body at 2 MB; shops get 1 MB
    if len(body) > MAX_BODY_BYTES:
        error = FieldError("body", f"is larger than {MAX_BODY_BYTES // 1024} KB")
        return problem(413, "Content too large", f"body: {error['message']}", [error])
    headers = {key.lower(): value for key, value in request.headers.items()}
    receipt = await do_receive(session=session, token=token, headers=headers, body=body)
    await session.commit()
    return JSONResponse({"status": receipt.status, "delivery": receipt.delivery})
