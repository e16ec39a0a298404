"""Compares what every chat client holds with what the database holds, and writes the figures down."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conversations.chat_clients import Agent, Visitor


@dataclass
class ClientFigures:
    client: str
    expected: int = 0  # messages of the database this client should show
    held: int = 0
    live: int = 0  # first arrived as an event (live, or replayed once Redis took it)
    resynced: int = 0  # first arrived by a reload after a gap, an overflow or Redis coming back
    loaded: int = 0  # first arrived with the page (session answer, first ready, a console opening a chat)
    lost: int = 0
    doubled: int = 0  # shown twice, or shown with another number than the database's
    duplicates_dropped: int = 0  # deliveries of a number already held (dropped by sequence number)
    out_of_place: int = 0  # held with a body or author other than the database's at that number


@dataclass
class Figures:
    sent: int = 0
    acknowledged: int = 0
    stored: int = 0
    stored_twice: int = 0
    clients: list[ClientFigures] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return sum(client.lost for client in self.clients)

    @property
    def doubled(self) -> int:
        return self.stored_twice + sum(client.doubled for client in self.clients)

    def write(self, path: Path) -> dict[str, Any]:
        data = {
            **{k: v for k, v in asdict(self).items() if k not in {"clients", "extra"}},
            "delivered_live": sum(client.live for client in self.clients),
            "recovered_by_resync": sum(client.resynced for client in self.clients),
            "loaded_with_the_page": sum(client.loaded for client in self.clients),
            "lost": self.lost,
            "doubled": self.doubled,
            **self.extra,
            "clients": [asdict(client) for client in self.clients],
        }
        path.write_text(json.dumps(data, indent=2))
        print(f"\n{path.name}: " + json.dumps({k: v for k, v in data.items() if k != "clients"}))
        return data


async def stored_messages(server_url: str, headers: dict[str, str], conversation_id: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{server_url}/api/v1/conversations/{conversation_id}/messages", headers=headers)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def compare(
    name: str, held: dict[int, dict[str, Any]], route: dict[int, str], stored: list[dict[str, Any]]
) -> ClientFigures:
    figures = ClientFigures(client=name, expected=len(stored), held=len(held))
    by_seq = {m["seq"]: m for m in stored}
    by_client_id = {m["client_id"]: m["seq"] for m in stored}
    for message in stored:
        if message["seq"] not in held:
            figures.lost += 1
    for seq, message in held.items():
        if by_client_id.get(message["client_id"], seq) != seq or seq not in by_seq:
            figures.doubled += 1
        elif (by_seq[seq]["body"], by_seq[seq]["author_type"]) != (message["body"], message["author_type"]):
            figures.out_of_place += 1
        if route.get(seq) == "live":
            figures.live += 1
        elif route.get(seq) == "resync":
            figures.resynced += 1
        elif route.get(seq) == "load":
            figures.loaded += 1
    return figures


def visitor_figures(name: str, visitor: Visitor, stored: list[dict[str, Any]]) -> ClientFigures:
    visible = [m for m in stored if m["kind"] == "message"]
    figures = compare(name, visitor.messages, visitor.route, visible)
    figures.duplicates_dropped = visitor.duplicates
    return figures


def agent_figures(name: str, agent: Agent, conversations: dict[int, list[dict[str, Any]]]) -> ClientFigures:
    total = ClientFigures(client=name)
    for conversation_id, stored in conversations.items():
        route = {seq: how for (cid, seq), how in agent.route.items() if cid == conversation_id}
        one = compare(name, agent.messages.get(conversation_id, {}), route, stored)
        for key in ("expected", "held", "live", "resynced", "loaded", "lost", "doubled", "out_of_place"):
            setattr(total, key, getattr(total, key) + getattr(one, key))
    total.duplicates_dropped = agent.duplicates
    return total
