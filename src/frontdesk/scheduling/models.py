"""Which tick of each scheduled job has been claimed, so that one process in N runs it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.db import Base, UTCDateTime


class JobTick(Base):
    """The last tick of ``job`` some process claimed; a tick is claimed by moving ``tick`` forward."""

    __tablename__ = "job_ticks"

    job: Mapped[str] = mapped_column(String(50), primary_key=True)
    tick: Mapped[int] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(100), default=None)
