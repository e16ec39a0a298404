"""Where shops post their webhooks: /hooks/shops/TOKEN, verified by the shop's own signature scheme."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
