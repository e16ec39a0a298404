"""Personal links cannot be forged, stretched past their expiry, or carried to another workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.feedback.links import InvalidLink, read_link, sign_link
from frontdesk.settings import get_settings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def link(**changes: object) -> str:
    claims: dict[str, object] = {"workspace_id": 7, "purpose": "survey", "subject_id": 42, "valid_for": WEEK}
    return sign_link(**{**claims, **changes}, now=NOW)  # type: ignore[arg-type]


def test_a_genuine_link_reads_back_its_claims_until_it_expires() -> None:
    claims = read_link(link(), purpose="survey", workspace_id=7, now=NOW + timedelta(days=6))
    assert (claims.workspace_id, claims.purpose, claims.subject_id) == (7, "survey", 42)
    assert claims.expires_at == NOW + WEEK
    with pytest.raises(InvalidLink, match="expired"):
        read_link(link(), purpose="survey", now=NOW + WEEK)


def test_a_link_only_opens_what_it_was_made_for() -> None:
    with pytest.raises(InvalidLink):
        read_link(link(), purpose="review", now=NOW)  # a survey link is not a review link
    with pytest.raises(InvalidLink):
        read_link(link(), purpose="survey", workspace_id=8, now=NOW)  # another workspace's page


def test_claims_cannot_be_rewritten_or_signed_with_another_key(monkeypatch: pytest.MonkeyPatch) -> None:
    genuine = link()
    other_workspace = link(workspace_id=8)
    # Another workspace's payload with this workspace's signature (and the reverse) is refused.
    swapped = other_workspace.split(".")[0] + "." + genuine.split(".")[1]
    with pytest.raises(InvalidLink):
        read_link(swapped, purpose="survey", now=NOW)
    # A server with another secret made it: refused.
    monkeypatch.setattr(get_settings(), "secret_key", "another-secret")
    with pytest.raises(InvalidLink):
        read_link(genuine, purpose="survey", now=NOW)


@given(position=st.integers(min_value=0), replacement=st.sampled_from("AQgw-_.=x0"))
def test_any_changed_character_breaks_the_link(position: int, replacement: str) -> None:
    genuine = link()
    at = position % len(genuine)
    forged = genuine[:at] + replacement + genuine[at + 1 :]
    if forged == genuine:
        return
    try:
        claims = read_link(forged, purpose="survey", now=NOW)
    except InvalidLink:
        return
    # Base64 can spell the same bytes twice (unused low bits of the last character): then nothing changed.
    assert claims == read_link(genuine, purpose="survey", now=NOW)


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b.c", "e30.e30", "W10.AAAA", "bm90anNvbg.AAAA"])
def test_garbage_is_refused_without_crashing(garbage: str) -> None:
    with pytest.raises(InvalidLink):
        read_link(garbage, purpose="survey", now=NOW)
