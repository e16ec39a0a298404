"""/api/v1 webhook endpoints, their delivery log and resends."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
