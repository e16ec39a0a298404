"""``/api/v1/analytics/clv/calibration``: the purchase model checked against the business's own history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from frontdesk.deps import Admin, DbSession
from frontdesk.success.calibration import CalibrationReport, calibration_report

router = APIRouter(prefix="/api/v1/analytics/clv", tags=["analytics"])


@router.get(
    "/calibration",
    response_model=CalibrationReport,
    summary="Calibration/holdout check: fit up to a day, predicted against actual repeat purchases after it",
)
async def read_calibration(
    session: DbSession,
    principal: Admin,
    split: Annotated[
        date | None, Query(description="Last local day of the calibration period (YYYY-MM-DD); default: 183 days ago")
    ] = None,
    end: Annotated[
        date | None, Query(description="Last local day of the holdout period; default: 182 days later or yesterday")
    ] = None,
) -> CalibrationReport:
    return await calibration_report(session=session, workspace_id=principal.workspace_id, split=split, end=end)
