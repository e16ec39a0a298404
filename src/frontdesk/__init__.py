"""Frontdesk: a self-hosted customer platform."""

__version__ = "0.1.0"
