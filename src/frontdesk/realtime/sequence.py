"""Which sequence numbers of one conversation a client has: the point to resume from, and whether one is missing.

The resume point is the highest number up to which nothing is missing, not the highest seen: a line missed
below a later one that did arrive must still be fetched.
"""

from __future__ import annotations

from typing import Any


class SeenSequence:
    def __init__(self, through: int = 0) -> None:
        self.through = through  # every number up to this one is accounted for
        self._above: set[int] = set()  # numbers seen beyond a gap

    def add(self, seq: int) -> bool:
        """Records ``seq``; False when it was already accounted for (a duplicate)."""
        if seq <= self.through or seq in self._above:
            return False
        self._above.add(seq)
        while self.through + 1 in self._above:
            self.through += 1
            self._above.discard(self.through)
        return True

    def cover(self, through: int) -> None:
        """Everything up to ``through`` is accounted for (a reload from the database said so)."""
        if through > self.through:
            self.through = through
            self._above = {seq for seq in self._above if seq > through}
            while self.through + 1 in self._above:
                self.through += 1
                self._above.discard(self.through)

    def has_gap(self) -> bool:
        return bool(self._above)

    def record(self, frame: dict[str, Any]) -> None:
        """Notes the numbers a widget frame carries: messages, acknowledgements, skipped numbers, reloads."""
        kind = frame.get("type")
        if kind in {"message", "ack"}:
            self.add(int(frame["message"]["seq"]))
        elif kind == "seq":
            self.add(int(frame["seq"]))
        elif kind == "ready":
            for message in frame.get("messages", ()):
                self.add(int(message["seq"]))
            self.cover(int(frame.get("through_seq") or 0))
