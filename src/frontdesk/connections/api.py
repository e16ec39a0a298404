"""/api/v1 shop connections and their deliveries."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["connections"])
