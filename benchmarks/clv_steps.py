"""The CLV benchmark's steps on one database: each Frontdesk step, its baseline, the reference fit, the full
daily refresh and the goal (benchmarks/clv.py runs them; its docstring says what each one measures)."""

from __future__ import annotations

import contextlib
import itertools
import math
import statistics
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import clv_data
import clv_reference as ref
from reports_harness import Statements
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_workspace
from frontdesk.commerce.models import CustomerFigures, Order
from frontdesk.segments import service as segments
from frontdesk.segments.rule_text import parse
from frontdesk.segments.rules import RuleError
from frontdesk.success import clv_math
from frontdesk.success.clv import fit_and_store, score_customers
from frontdesk.success.clv_summary import PurchaseSummary, purchase_summary
from frontdesk.success.health import score_health
from frontdesk.success.models import (
    DEFAULT_DISCOUNT_RATE,
    CustomerHealth,
    HealthHistory,
    Playbook,
    PlaybookEpisode,
    SuccessTask,
)
from frontdesk.success.playbooks import run_playbooks
from frontdesk.success.refresh import refresh_success

GOAL = 60.0  # seconds: the whole daily refresh at --scale 1 (issue 13)
HEALTH = (CustomerHealth, HealthHistory)  # what score_health writes
PLAYBOOKS = (PlaybookEpisode, SuccessTask)  # what run_playbooks writes
SLOWEST = 8  # statements printed per refresh


@dataclass
class Timing:
    runs: list[float] = field(default_factory=list)
    result: Any = None
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs and self.error is None else math.nan


def params_of(fitted: tuple[Any, ...]) -> dict[str, float]:
    bg, _, gg, _ = fitted
    return {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "p": gg.p, "q": gg.q, "gamma": gg.gamma}


def print_comparison(
    mine: tuple[Any, ...], theirs: ref.Fit, summary: tuple[Any, ...], truth: dict[str, float] | None = None
) -> int:
    """Prints the comparison; 1 when the fits differ: parameters apart and not on the same maximum (a
    parameter the data do not identify may differ along a flat top; the likelihood says it is the same fit)."""
    disagree, same_top = ref.print_comparison(params_of(mine), (mine[1], mine[3]), theirs, summary, truth)
    return int(bool(disagree) and not same_top)


def fit_frontdesk(f: Any, r: Any, t: Any, m: Any) -> tuple[clv_math.BgNbd, float, clv_math.GammaGamma, float]:
    bg, ll = clv_math.fit_bgnbd(f, r, t)
    gg, gll = clv_math.fit_gamma_gamma(f, m)
    return bg, ll, gg, gll


async def reference_checks(customers: int, repeat: int, budget: float) -> int:
    """The fits on data with a known answer, independent of any database: a summary of ``customers`` simulated
    from the models themselves, and the CDNOW sample of Fader, Hardie & Lee (2005). Returns the number of
    disagreeing parameters."""

    def timed(run: Callable[[], Any]) -> Timing:
        timing = Timing()
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                timing.result = run()
            except Exception as error:
                traceback.print_exc(limit=4)
                timing.error = f"{type(error).__name__}: {error}"
                break
            timing.runs.append(time.perf_counter() - started)
            if sum(timing.runs) > budget:
                break
        return timing

    summary = ref.simulate(customers)
    f, r, t, m = summary
    repeaters, distinct = int((f > 0).sum()), len(ref.compress(f, r, t)[1])
    print(f"\nReference check on simulated data: {customers:,} customers drawn from BG/NBD and Gamma-Gamma with "
          f"known parameters ({repeaters:,} repeat customers, {distinct:,} distinct rows)")  # fmt: skip
    mine = timed(lambda: fit_frontdesk(f, r, t, m))
    theirs = timed(lambda: ref.fit_reference(f, r, t, m))
    Bench.line("fit BG/NBD + Gamma-Gamma (clv_math)", mine, theirs, "lifetimes, same summary")
    problems = int(bool(mine.error or theirs.error))
    if mine.result is not None and theirs.result is not None:
        problems += print_comparison(mine.result, theirs.result, summary, ref.TRUTH)
    cdnow = ref.cdnow()
    if cdnow is not None:
        try:
            bg, _ = clv_math.fit_bgnbd(*cdnow)
            found = {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b}
            print("  CDNOW (2,357 customers, weeks), BG/NBD: Frontdesk " +
                  ", ".join(f"{k}={v:.3f}" for k, v in found.items()) + "; published (FHL 2005) " +
                  ", ".join(f"{k}={v:.3f}" for k, v in ref.CDNOW.items()))  # fmt: skip
        except Exception as error:
            print(f"  CDNOW: Frontdesk's fit failed: {error!r}")
            problems += 1
    return problems


class Bench:
    def __init__(self, *, name: str, session: AsyncSession, statements: Statements, workspace_id: int,
                 now: datetime, repeat: int, budget: float, reference: bool) -> None:  # fmt: skip
        self.name, self.session, self.statements, self.ws, self.now = name, session, statements, workspace_id, now
        self.repeat, self.budget, self.reference = repeat, budget, reference
        self.problems = 0
        self.summary: PurchaseSummary | None = None
        self.fitted: tuple[Any, ...] | None = None

    # --- timing and printing -------------------------------------------------------------------------------

    async def timed(
        self,
        run: Callable[[], Awaitable[Any]],
        *,
        commit: bool = False,
        once: bool = False,
        before: Callable[[], Awaitable[None]] | None = None,
    ) -> Timing:
        """Runs ``run`` up to ``repeat`` times (once the runs took ``budget`` seconds, no more), each after
        ``before`` (not timed: e.g. deleting what the previous run wrote, so each run does the same work) and
        ended by a commit (its time included: the refresh commits) or a rollback (not timed: a read leaves
        nothing). A failure is printed and returned, not raised, and counts as a problem."""
        timing = Timing()
        for _ in range(1 if once else self.repeat):
            if before is not None:
                await before()
            started = time.perf_counter()
            try:
                timing.result = await run()
                if commit:
                    await self.session.commit()
                timing.runs.append(time.perf_counter() - started)
                if not commit:
                    await self.session.rollback()
            except Exception as error:  # a step that fails is an ERROR line, and the other steps still run
                traceback.print_exc(limit=4)
                await self.session.rollback()
                timing.error = f"{type(error).__name__}: {error}"
                self.problems += 1
                break
            if sum(timing.runs) > self.budget:
                break
        return timing

    async def timed_sync(self, run: Callable[[], Any]) -> Timing:
        async def wrapped() -> Any:
            return run()

        return await self.timed(wrapped)

    @staticmethod
    def line(label: str, mine: Timing, baseline: Timing | None = None, what: str = "") -> None:
        runs = f"({len(mine.runs)})" if mine.runs else ""
        if mine.error:
            print(f"  {label:<44}    ERROR  {mine.error[:200]}")
            return
        if baseline is None or baseline.error or not baseline.runs:
            note = f"  baseline failed: {baseline.error[:120]}" if baseline and baseline.error else ""
            print(f"  {label:<44}{mine.median:>9.3f}{runs:<4}{'':>10}{'':>7}  {what}{note}")
            return
        ratio = mine.median / baseline.median if baseline.median else math.inf
        print(f"  {label:<44}{mine.median:>9.3f}{runs:<4}{baseline.median:>10.3f}{ratio:>7.1f}  {what}")

    # --- the steps -----------------------------------------------------------------------------------------

    async def run(self, steps: list[str]) -> int:
        session, ws = self.session, self.ws
        sizes = await clv_data.sizes(session, ws)
        notes = await clv_data.prepare_workspace(session, ws)
        print(f"\n{self.name}: {sizes.contacts:,} contacts, {sizes.orders:,} orders ({sizes.completed_orders:,} "
              f"completed), {sizes.buyers:,} buyers")  # fmt: skip
        for note in notes:
            print(f"  {note}")
        await clv_data.reset_success(session, ws)  # the steps below run on a workspace never refreshed
        print(f"  {'step':<44}{'Frontdesk':>9}{'':<4}{'baseline':>10}{'ratio':>7}  baseline")
        # The refresh first (the figure the goal is about, printed early in a long run), its "next day" last:
        # after the steps below every model, prediction, score and task is in place, as after a refresh.
        if "refresh" in steps:
            await self.step_refresh()
        if {"summary", "fit", "score"} & set(steps):
            await self.step_summary()
        if "fit" in steps:
            await self.step_fit()
        if {"score", "health", "playbooks"} & set(steps):
            await self.step_score()
        if {"health", "playbooks"} & set(steps):
            await self.step_health()
        if "playbooks" in steps:
            await self.step_playbooks()
        if "refresh" in steps:
            await self.step_refresh_again()
        return self.problems

    async def step_summary(self) -> None:
        session, ws, now = self.session, self.ws, self.now
        mine = await self.timed(lambda: purchase_summary(session=session, workspace_id=ws, as_of=now))
        completed = (Order.workspace_id == ws, Order.status == "completed", Order.buyer_id.is_not(None),
                     Order.ordered_at <= now)  # fmt: skip
        grouped = select(Order.buyer_id, func.count(), func.sum(Order.total_minor), func.min(Order.ordered_at),
                         func.max(Order.ordered_at)).where(*completed).group_by(Order.buyer_id)  # fmt: skip

        async def group_by() -> int:
            return len((await session.execute(grouped)).all())

        baseline = await self.timed(group_by)
        counted = await self.timed(lambda: session.scalar(select(func.count()).select_from(Order).where(*completed)))
        self.summary = mine.result
        customers = len(self.summary.contact_id) if self.summary is not None else 0
        self.line("purchase summary (purchase_summary)", mine, baseline,
                  "one GROUP BY buyer over the completed orders, fetched")  # fmt: skip
        self.line("  SELECT count(*) of those orders (a scan)", counted)
        if self.summary is not None:
            s = self.summary
            repeat = int((s.frequency > 0).sum())
            print(f"    {customers:,} customers in the summary ({baseline.result or 0:,} buyers by the GROUP BY), "
                  f"{repeat:,} repeat customers; {len(ref.compress(s.frequency, s.recency, s.age)[1]):,} "
                  f"distinct (frequency, recency, T) rows")  # fmt: skip

    async def step_fit(self) -> None:
        s = self.summary
        if s is None:
            print("  fit: no summary (its step failed)")
            return

        mine = await self.timed_sync(lambda: fit_frontdesk(s.frequency, s.recency, s.age, s.monetary))
        theirs = Timing(error=ref.MISSING or "not run (--no-reference)")
        if self.reference and not ref.MISSING:
            theirs = await self.timed_sync(lambda: ref.fit_reference(s.frequency, s.recency, s.age, s.monetary))
        self.line("fit BG/NBD + Gamma-Gamma (clv_math)", mine, theirs,
                  "lifetimes BetaGeoFitter + GammaGammaFitter, same summary")  # fmt: skip
        self.fitted = mine.result
        if mine.result is not None:
            print("    Frontdesk: " + ", ".join(f"{k}={v:.6g}" for k, v in params_of(mine.result).items()))
        if mine.result is not None and theirs.result is not None:
            self.compare(mine.result, theirs.result)
        elif theirs.error:
            print(f"    reference: {theirs.error}")

    def compare(self, mine: tuple[Any, ...], theirs: ref.Fit) -> None:
        s = self.summary
        assert s is not None
        self.problems += print_comparison(mine, theirs, (s.frequency, s.recency, s.age, s.monetary))
        for who, params in (("Frontdesk", params_of(mine)), ("lifetimes", theirs.params)):
            share = params["a"] / (params["a"] + params["b"])
            if share < 1e-3:
                print(f"    note: {who}'s a/(a+b) = {share:.1e}: in this data nobody seems to drop out, so the "
                      "BG/NBD maximum lies on the boundary (a -> 0 or b -> inf) where a and b are not identified, "
                      "only a/(a+b) -> 0; there, the log-likelihoods say whether the fits agree")  # fmt: skip

    async def step_score(self) -> None:
        session, ws, now = self.session, self.ws, self.now
        s = self.summary
        if self.fitted is not None and s is not None:  # the fit above, stored (its parts are timed above)
            repeaters = int((s.frequency > 0).sum())
            await clv_data.store_model(session, ws, now, self.fitted, len(s.frequency), repeaters)
        else:
            stored = await self.timed(lambda: fit_and_store(session=session, workspace_id=ws, as_of=now, now=now),
                                      commit=True, once=True)  # fmt: skip
            self.line("fit_and_store (summary + fit + store), once", stored)
        mine = await self.timed(lambda: score_customers(session=session, workspace_id=ws, now=now), commit=True)
        baseline = Timing(error="no summary or fit")
        fitted = self.fitted
        if s is not None and fitted is not None:
            bg, _, gg, _ = fitted

            def arithmetic() -> int:
                f, r, t, m = s.frequency, s.recency, s.age, s.monetary
                clv_math.p_alive(bg, f, r, t)
                clv_math.expected_purchases(bg, 90, f, r, t)
                clv_math.expected_purchases(bg, 365, f, r, t)
                clv_math.expected_order_value(gg, f, m)
                clv_math.lifetime_value(bg, gg, f, r, t, m, months=12, annual_discount_rate=DEFAULT_DISCOUNT_RATE)
                return len(f)

            baseline = await self.timed_sync(arithmetic)
        self.line("score every customer (score_customers)", mine, baseline,
                  "the prediction arithmetic alone, in memory")  # fmt: skip
        if mine.result is not None:
            print(f"    {mine.result:,} customers scored")

    async def step_health(self) -> None:
        session, ws, now = self.session, self.ws, self.now

        def health() -> Awaitable[int]:
            return score_health(session=session, workspace_id=ws, now=now)

        mine = await self.timed(health, commit=True, before=lambda: clv_data.reset_success(session, ws, *HEALTH))
        again = await self.timed(health, commit=True, once=True)
        customers = select(CustomerFigures.contact_id, CustomerFigures.orders, CustomerFigures.first_order_at,
                           CustomerFigures.last_order_at).where(CustomerFigures.workspace_id == ws,
                                                                CustomerFigures.orders > 0)  # fmt: skip

        async def read() -> int:
            return len((await session.execute(customers)).all())

        baseline = await self.timed(read)
        self.line("health scores (score_health)", mine, baseline, "every customer's figures row read once")
        self.line("  again, nothing changed (no history row)", again)
        if mine.runs:
            print(f"    {mine.result:,} customers scored; each timed run from no scores (every history row new)")

    async def step_playbooks(self) -> None:
        session, ws, now = self.session, self.ws, self.now
        created: list[int] = []

        async def run() -> int:
            created.append(await run_playbooks(session=session, workspace_id=ws, now=now))
            return created[-1]

        mine = await self.timed(run, commit=True, before=lambda: clv_data.reset_success(session, ws, *PLAYBOOKS))
        again = await self.timed(run, commit=True, once=True)
        rules = []
        for text in await session.scalars(select(Playbook.rule).where(Playbook.workspace_id == ws, Playbook.is_active)):
            with contextlib.suppress(RuleError):  # skipped by run_playbooks too
                rules.append(parse(text))

        async def count() -> list[int]:
            ctx = await segments.context(session=session, workspace_id=ws, now=now)
            return [await segments.count(session=session, rule=rule, ctx=ctx) for rule in rules]

        baseline = await self.timed(count)
        self.line("playbooks (run_playbooks)", mine, baseline, "each valid rule's segment counted")
        self.line("  again, nobody new matches (no task)", again)
        if mine.runs:
            print(f"    tasks created per run: {created} (customers matching each rule: {baseline.result}); each "
                  "timed run from no episodes (every task new)")  # fmt: skip

    async def refresh(self) -> tuple[Any, list[float], list[tuple[float, str]]]:
        """The daily job's work for the workspace, committed; its result, each part's seconds (from the
        functions' progress callbacks: figures and stages, RFM, refit + score, health, playbooks, commit) and
        its slowest SQL statements."""
        session, ws, now = self.session, self.ws, self.now
        self.statements.found = []  # every statement's time, collected by reports_harness.Statements
        marks = [time.perf_counter()]

        def mark(done: int, _total: int) -> None:
            marks.append(time.perf_counter())

        await refresh_workspace(session=session, workspace_id=ws, now=now, progress=mark)
        result = await refresh_success(session=session, workspace_id=ws, now=now, progress=mark)
        await session.commit()
        marks.append(time.perf_counter())
        found, self.statements.found = self.statements.found, None
        return result, [b - a for a, b in itertools.pairwise(marks)], sorted(found, reverse=True)[:SLOWEST]

    async def step_refresh(self) -> None:
        session, ws = self.session, self.ws
        # Each timed run from a workspace never refreshed (reset not timed): every row and task is new.
        timing = await self.timed(self.refresh, commit=True, before=lambda: clv_data.reset_success(session, ws))
        self.line("full daily refresh (figures + success)", timing, what="refresh_workspace + refresh_success")
        if timing.error:
            print(f"  goal: the whole refresh < {GOAL:.0f} s: MISS (the refresh failed)")
            self.problems += 1
            return
        self.print_parts(timing)
        slowest = max(timing.runs)
        verdict = "PASS" if slowest < GOAL else "MISS"
        print(f"  goal: the whole refresh < {GOAL:.0f} s: {verdict} (slowest run {slowest:.1f} s, median "
              f"{timing.median:.1f} s)")  # fmt: skip
        self.problems += verdict == "MISS"

    async def step_refresh_again(self) -> None:
        """The next day's refresh when nothing new happened: what a quiet day costs."""
        again = await self.timed(self.refresh, commit=True, once=True)
        self.line("full refresh again, nothing new (next day)", again, what="after every step above")
        if not again.error:
            self.print_parts(again)

    @staticmethod
    def print_parts(timing: Timing) -> None:
        result, seconds, slowest = timing.result
        names = ("figures and stages", "RFM scores", "refit + score", "health", "playbooks", "commit")
        print(f"    {'of which (the last run)':<42}")
        for name, spent in zip(names, seconds, strict=False):
            print(f"    {name:<42}{spent:>9.3f}      {spent / sum(seconds):>6.0%}")
        print(f"    runs: {', '.join(f'{x:.2f}' for x in timing.runs)} s; refitted: {result.clv.refitted}"
              f"{f' ({result.clv.problem})' if result.clv.problem else ''}; {result.clv.scored:,} predictions, "
              f"{result.health_scored:,} health scores, {result.tasks_created:,} tasks created")  # fmt: skip
        print(f"    its {len(slowest)} slowest SQL statements:")
        for spent, statement in slowest:
            print(f"    {spent:8.3f} s  {statement[:200]}")
