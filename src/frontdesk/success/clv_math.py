"""The purchase models' mathematics: BG/NBD (how often, and whether still buying) and Gamma-Gamma (how much).

Pure numpy/SciPy, no database. Time is in days throughout; money in whatever unit the caller gives (the
product passes minor units). Every formula is written out with its source in docs/clv.md; the equation
numbers below refer to:

- FHL05: Fader, Hardie & Lee (2005), "Counting Your Customers" the Easy Way: An Alternative to the
  Pareto/NBD Model. Marketing Science 24(2).
- FH13: Fader & Hardie (2013), The Gamma-Gamma Model of Monetary Value (note).
- FHL08: Fader, Hardie & Lee (2008), Computing P(alive) Using the BG/NBD Model (note).

Fits work on customers collapsed to their distinct (frequency, recency, T) rows with a weight each: with
whole days, a million customers make far fewer distinct rows, and every per-row cost shrinks with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize  # type: ignore[import-untyped]  # no stubs in the test extras
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1  # type: ignore[import-untyped]

Array = NDArray[np.float64]

# The optimiser works on log-parameters in scaled units (times / TIME_SCALE, money / its mean), kept in
# [-LOG_BOUND, LOG_BOUND]: a parameter the data do not pin down stops at e^±18 instead of wandering to inf.
LOG_BOUND = 18.0
# Days per month for lifetime values: a twelfth of a Julian year, so 12 months are a year (lifetimes' "D"
# frequency uses 30-day months; docs/clv.md).
MONTH_DAYS = 365.25 / 12
MIN_SPEND_REPEATERS = 2  # Gamma-Gamma needs at least this many repeat customers who spent money


class FitFailed(Exception):
    """The data cannot give a fit; the message says in words what is missing or what did not converge."""


@dataclass(frozen=True)
class BgNbd:
    """Purchase rate ~ Gamma(shape r, rate alpha) (alpha in days); drop-out chance after each repeat ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGamma:
    """Order value ~ Gamma(shape p, rate nu) per customer, nu ~ Gamma(shape q, rate gamma) across customers."""

    p: float
    q: float
    gamma: float


def _arrays(*columns: ArrayLike) -> list[Array]:
    found = [np.asarray(column, dtype=np.float64).ravel() for column in columns]
    if len({len(column) for column in found}) > 1:
        raise ValueError("the arrays must have the same length")
    return found


def collapse(*columns: Array) -> tuple[list[Array], Array, NDArray[np.intp]]:
    """The distinct rows of ``columns`` (taken together), how many times each occurs, and for every input row
    the index of its distinct row. Whole-number columns are packed into one int64 key (fast); others fall
    back to a row-wise unique."""
    n = len(columns[0])
    if n == 0:
        return [np.empty(0) for _ in columns], np.empty(0), np.empty(0, dtype=np.intp)
    whole = all(np.all(c == np.floor(c)) and c.min() >= 0 and c.max() < 2**20 for c in columns)
    if whole and len(columns) <= 3:
        key = np.zeros(n, dtype=np.int64)
        for column in columns:
            key = (key << 21) | column.astype(np.int64)
        _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
        return [c[first] for c in columns], counts.astype(np.float64), inverse.ravel()
    stacked = np.column_stack(columns)
    rows, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return [rows[:, i].copy() for i in range(len(columns))], counts.astype(np.float64), inverse.ravel()


# --- BG/NBD ---------------------------------------------------------------------------------------------


class _BgNbdData:
    """Distinct (x, t_x, T) rows with weights, and the distinct values of each column (terms that depend on
    one column only are computed once per distinct value, then gathered)."""

    def __init__(self, x: Array, tx: Array, T: Array, w: Array) -> None:
        self.w = w
        self.x = x
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.uT, self.iT = np.unique(T, return_inverse=True)
        self.utx, self.itx = np.unique(tx, return_inverse=True)
        self.repeat = self.ux > 0

    def value_and_gradient(self, r: float, alpha: float, a: float, b: float) -> tuple[float, Array]:
        """Sum of w * log L (FHL05 eq. 6) and its gradient in (r, alpha, a, b)."""
        ux, rep = self.ux, self.repeat
        g1 = gammaln(r + ux) - gammaln(r) + r * math.log(alpha)
        dg1_dr = digamma(r + ux) - digamma(r) + math.log(alpha)
        b0, psi_ab, psi_b = betaln(a, b), digamma(a + b), digamma(b)
        psi_abx = digamma(a + b + ux)
        lb2 = betaln(a, b + ux) - b0
        lb2_a = psi_ab - psi_abx
        lb2_b = digamma(b + ux) - psi_abx - psi_b + psi_ab
        xm1 = np.where(rep, b + ux - 1.0, 1.0)  # b + x - 1 only exists for repeaters
        lb3 = np.where(rep, betaln(a + 1.0, xm1) - b0, -np.inf)
        lb3_a = np.where(rep, 1.0 / a - psi_abx + psi_ab, 0.0)  # psi(a+1) - psi(a) = 1/a
        lb3_b = np.where(rep, digamma(xm1) - psi_abx - psi_b + psi_ab, 0.0)
        lT, ltx = np.log(alpha + self.uT), np.log(alpha + self.utx)
        ix, iT, itx = self.ix, self.iT, self.itx
        rx = r + self.x
        ln_a2 = lb2[ix] - rx * lT[iT]
        ln_a3 = lb3[ix] - rx * ltx[itx]
        lse = np.logaddexp(ln_a2, ln_a3)
        w, w2 = self.w, np.exp(ln_a2 - lse)
        w3 = 1.0 - w2
        value = float(np.dot(w, g1[ix] + lse))
        ww2, ww3 = w * w2, w * w3
        by_x2 = np.bincount(ix, weights=ww2, minlength=len(ux))
        by_x3 = np.bincount(ix, weights=ww3, minlength=len(ux))
        by_x = by_x2 + by_x3
        d_r = np.dot(by_x, dg1_dr) - np.dot(ww2, lT[iT]) - np.dot(ww3, ltx[itx])
        d_alpha = r / alpha * by_x.sum() - np.dot(rx, ww2 / (alpha + self.uT[iT]) + ww3 / (alpha + self.utx[itx]))
        d_a = np.dot(by_x2, lb2_a) + np.dot(by_x3, lb3_a)
        d_b = np.dot(by_x2, lb2_b) + np.dot(by_x3, lb3_b)
        return value, np.array([d_r, d_alpha, d_a, d_b])


def bgnbd_log_likelihood(
    m: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, weights: ArrayLike | None = None
) -> float:
    """The BG/NBD log-likelihood (FHL05 eq. 6) summed over customers (each counted ``weights`` times)."""
    x, tx, T = _arrays(frequency, recency, age)
    w = np.ones_like(x) if weights is None else _arrays(weights)[0]
    return _BgNbdData(x, tx, T, w).value_and_gradient(m.r, m.alpha, m.a, m.b)[0]


def _check_purchases(x: Array, tx: Array, T: Array) -> None:
    if len(x) == 0:
        raise FitFailed("there are no customers to fit the purchase model on")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(tx)) and np.all(np.isfinite(T))):
        raise ValueError("frequency, recency and age must be finite numbers")
    if np.any(x < 0) or np.any(tx < 0) or np.any(tx > T) or np.any((x == 0) & (tx != 0)):
        raise ValueError("need 0 <= recency <= age, and recency 0 where frequency is 0")


def _minimise(objective: Any, start: list[Array], what: str) -> Array:
    """The log-parameters minimising ``objective`` (value and gradient), tried from each start in turn."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start[0])
    best: Any = None
    for x0 in start:
        with np.errstate(all="ignore"):
            result = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": 500, "ftol": 1e-13, "gtol": 1e-8})  # fmt: skip
        finite = np.all(np.isfinite(result.x)) and np.isfinite(result.fun)
        # L-BFGS-B can stop on a failed line search right at the optimum: accept a small gradient too.
        converged = bool(result.success) or (finite and np.max(np.abs(result.jac)) < 1e-5)
        if finite and converged and (best is None or result.fun < best.fun):
            best = result
        if best is not None:
            break
    if best is None:
        raise FitFailed(f"the {what} fit did not converge (the optimiser found no maximum of the likelihood)")
    return np.asarray(best.x, dtype=np.float64)


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> tuple[BgNbd, float]:
    """Maximum-likelihood BG/NBD parameters and the total log-likelihood at them.

    Raises FitFailed when there are no customers, nobody made a repeat purchase, or the optimiser fails.
    """
    x, tx, T = _arrays(frequency, recency, age)
    _check_purchases(x, tx, T)
    if not np.any(x > 0):
        raise FitFailed(f"none of the {len(x)} customers made a repeat purchase")
    if not np.any(T > 0):
        raise FitFailed("every customer's first purchase is on the as-of day: no time to observe")
    (cx, ctx, cT), w, _ = collapse(x, tx, T)
    # Times in units of a tenth of the longest T: the log-parameters start near 0 whatever the history's length.
    scale = float(T.max()) / 10.0
    data = _BgNbdData(cx, ctx / scale, cT / scale, w)
    total = float(w.sum())

    def objective(u: Array) -> tuple[float, Array]:
        theta = np.exp(u)
        value, gradient = data.value_and_gradient(*(float(v) for v in theta))
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e300, np.zeros(4)
        return -value / total, -gradient * theta / total

    mean_x = float(np.dot(w, cx) / total)
    starts = [np.log(np.array([1.0, 1.0, 1.0, 1.0])), np.log(np.array([max(mean_x, 0.1), 1.0, 0.5, 2.0])),
              np.zeros(4) + np.array([-1.0, 1.0, 1.0, 2.0])]  # fmt: skip
    u = _minimise(objective, starts, "BG/NBD purchase")
    r, alpha_scaled, a, b = (float(v) for v in np.exp(u))
    model = BgNbd(r=r, alpha=alpha_scaled * scale, a=a, b=b)
    log_likelihood = bgnbd_log_likelihood(model, cx, ctx, cT, w)
    if not (np.isfinite(log_likelihood) and all(map(math.isfinite, (model.r, model.alpha, model.a, model.b)))):
        raise FitFailed("the BG/NBD purchase fit gave a non-finite result")
    return model, log_likelihood


def _log_odds_dead(m: BgNbd, x: Array, tx: Array, T: Array) -> Array:
    """log of (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x))^(r + x) for repeaters, -inf otherwise."""
    repeat = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.log(m.a / np.where(repeat, m.b + x - 1.0, 1.0)) + (m.r + x) * (
            np.log(m.alpha + T) - np.log(m.alpha + tx)
        )
    return np.where(repeat, value, -np.inf)


def p_alive(m: BgNbd, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> Array:
    """P(still active | x, t_x, T) (FHL08 eq. 5); 1 for a customer who has not repeated (BG/NBD's drop-out
    only follows a repeat purchase)."""
    x, tx, T = _arrays(frequency, recency, age)
    return np.asarray(expit(-_log_odds_dead(m, x, tx, T)), dtype=np.float64)


def _expected_collapsed(m: BgNbd, days: float, x: Array, tx: Array, T: Array, alive: Array) -> Array:
    """FHL05 eq. 10 with its 2F1 turned by Euler's transformation, 2F1(a,b;c;z) = (1-z)^(c-a-b)
    2F1(c-a,c-b;c;z), into (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): the same value without the huge 2F1
    and tiny power that overflow for frequent buyers (docs/clv.md)."""
    if days <= 0:
        return np.zeros_like(x)
    a = m.a if abs(m.a - 1.0) > 1e-7 else 1.0 + 1e-7  # the formula's 0/0 at a = 1: its limit, to 1e-7
    c = a + m.b + x - 1.0
    z = days / (m.alpha + T + days)
    with np.errstate(all="ignore"):
        bracket = 1.0 - (1.0 - z) ** (a - 1.0) * hyp2f1(a + m.b - 1.0 - m.r, a - 1.0, c, z)
        return np.asarray(c / (a - 1.0) * bracket * alive, dtype=np.float64)


def expected_purchases(m: BgNbd, days: float, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> Array:
    """Expected purchase occasions in the next ``days`` given x, t_x, T (FHL05 eq. 10)."""
    x, tx, T = _arrays(frequency, recency, age)
    (cx, ctx, cT), _, inverse = collapse(x, tx, T)
    alive = expit(-_log_odds_dead(m, cx, ctx, cT))
    return _expected_collapsed(m, days, cx, ctx, cT, alive)[inverse]


# --- Gamma-Gamma ----------------------------------------------------------------------------------------


class _GammaGammaData:
    """Repeat customers' (x, m_x) rows with weights; terms of x alone are computed per distinct x."""

    def __init__(self, x: Array, mx: Array, w: Array) -> None:
        self.x, self.w = x, w
        self.ux, self.ix = np.unique(x, return_inverse=True)
        self.log_mx, self.log_x = np.log(mx), np.log(x)
        self.xm = x * mx

    def value_and_gradient(self, p: float, q: float, g: float) -> tuple[float, Array]:
        """Sum of w * log f(m_x | p, q, gamma; x) (FH13 eq. 5) and its gradient in (p, q, gamma)."""
        x, w, ix = self.x, self.w, self.ix
        px_u = p * self.ux
        lg = gammaln(px_u + q) - gammaln(px_u) - gammaln(q)
        psi_pxq, psi_px = digamma(px_u + q), digamma(px_u)
        lsum = np.log(g + self.xm)
        px = p * x
        value = np.dot(w, lg[ix] + q * math.log(g) + (px - 1.0) * self.log_mx + px * self.log_x - (px + q) * lsum)
        d_p = np.dot(w * x, (psi_pxq - psi_px)[ix] + self.log_mx + self.log_x - lsum)
        d_q = np.dot(w, (psi_pxq[ix] - digamma(q)) + math.log(g) - lsum)
        d_g = np.dot(w, q / g - (px + q) / (g + self.xm))
        return float(value), np.array([d_p, d_q, d_g])


def gamma_gamma_log_likelihood(g: GammaGamma, frequency: ArrayLike, monetary: ArrayLike) -> float:
    """The Gamma-Gamma log-likelihood (FH13 eq. 5) summed over the repeat customers with money spent."""
    x, mx = _arrays(frequency, monetary)
    keep = (x > 0) & (mx > 0)
    return _GammaGammaData(x[keep], mx[keep], np.ones(int(keep.sum()))).value_and_gradient(g.p, g.q, g.gamma)[0]


def fit_gamma_gamma(frequency: ArrayLike, monetary: ArrayLike) -> tuple[GammaGamma, float]:
    """Maximum-likelihood Gamma-Gamma parameters from the repeat customers who spent money, and the total
    log-likelihood. Raises FitFailed with fewer than MIN_SPEND_REPEATERS of them, when the optimiser fails,
    or when q <= 1 (the population's mean order value would be infinite)."""
    x, mx = _arrays(frequency, monetary)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(mx))):
        raise ValueError("frequency and monetary value must be finite numbers")
    keep = (x > 0) & (mx > 0)
    repeaters = int(keep.sum())
    if repeaters < MIN_SPEND_REPEATERS:
        raise FitFailed(
            f"the order-value model needs at least {MIN_SPEND_REPEATERS} repeat customers who spent money; "
            f"there {'is' if repeaters == 1 else 'are'} {repeaters}"
        )
    (cx, cm), w, _ = collapse(x[keep], mx[keep])
    scale = float(np.dot(w, cm) / w.sum())  # money in units of the mean: gamma starts near 1
    data, total = _GammaGammaData(cx, cm / scale, w), float(w.sum())

    def objective(u: Array) -> tuple[float, Array]:
        theta = np.exp(u)
        value, gradient = data.value_and_gradient(*(float(v) for v in theta))
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e300, np.zeros(3)
        return -value / total, -gradient * theta / total

    starts = [np.log(np.array([1.0, 2.0, 1.0])), np.log(np.array([5.0, 5.0, 4.0])), np.log(np.array([0.5, 3.0, 4.0]))]
    u = _minimise(objective, starts, "Gamma-Gamma order-value")
    p, q, g_scaled = (float(v) for v in np.exp(u))
    model = GammaGamma(p=p, q=q, gamma=g_scaled * scale)
    if q <= 1.0:
        raise FitFailed(
            f"the order-value model fitted q = {q:.3g} <= 1, which makes the mean order value infinite: the "
            f"{repeaters} repeat customers' spending varies too much (or they are too few) to predict it"
        )
    log_likelihood = _GammaGammaData(cx, cm, w).value_and_gradient(model.p, model.q, model.gamma)[0]
    if not (np.isfinite(log_likelihood) and all(map(math.isfinite, (model.p, model.q, model.gamma)))):
        raise FitFailed("the Gamma-Gamma order-value fit gave a non-finite result")
    return model, log_likelihood


def expected_order_value(g: GammaGamma, frequency: ArrayLike, monetary: ArrayLike) -> Array:
    """E[M | p, q, gamma, m_x, x] = p (gamma + x m_x) / (p x + q - 1) (FH13 eq. 9): the population mean
    p gamma / (q - 1) for a customer without repeat purchases."""
    x, mx = _arrays(frequency, monetary)
    mx = np.where(x > 0, mx, 0.0)
    return np.asarray(g.p * (g.gamma + x * mx) / (g.p * x + g.q - 1.0), dtype=np.float64)


def monthly_rate(annual_discount_rate: float) -> float:
    """The monthly rate compounding to the annual one: (1 + y)^(1/12) - 1."""
    return float((1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0)


def lifetime_value(
    m: BgNbd,
    g: GammaGamma,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary: ArrayLike,
    *,
    months: int,
    annual_discount_rate: float,
) -> Array:
    """Sum over months k = 1..months of (expected purchases in month k) x (expected order value) /
    (1 + d)^k, with d the monthly rate of ``annual_discount_rate`` (the lifetimes library's DCF sum)."""
    x, tx, T, mx = _arrays(frequency, recency, age, monetary)
    (cx, ctx, cT), _, inverse = collapse(x, tx, T)
    alive = expit(-_log_odds_dead(m, cx, ctx, cT))
    d = monthly_rate(annual_discount_rate)
    purchases = np.zeros_like(cx)
    before = np.zeros_like(cx)
    for k in range(1, months + 1):
        cumulative = _expected_collapsed(m, k * MONTH_DAYS, cx, ctx, cT, alive)
        purchases += (cumulative - before) / (1.0 + d) ** k
        before = cumulative
    return np.asarray(purchases[inverse] * expected_order_value(g, x, mx), dtype=np.float64)
