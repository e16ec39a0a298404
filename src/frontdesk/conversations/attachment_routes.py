"""Attachments: upload from the console, the widget and the API; files served to participants only."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
