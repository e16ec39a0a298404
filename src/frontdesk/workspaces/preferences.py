"""Console: an agent's own preferences (time zone, notifications, sound)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
