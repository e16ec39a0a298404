"""API: canned replies, macros and invitation rules."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
