"""The CLV benchmark's reference: the same BG/NBD and Gamma-Gamma fits made by the `lifetimes` package
(BetaGeoFitter, GammaGammaFitter; the bench extra), on the same purchase summary Frontdesk fits.

Both implementations maximise the same likelihoods (Fader, Hardie & Lee 2005, section 7, for BG/NBD; Fader &
Hardie's note 025, equation 1a, for Gamma-Gamma), so they should land on the same parameters. The likelihoods
are also evaluated here with lifetimes' own functions at both parameter sets (``log_likelihoods``): that says
whether a difference in parameters is a different optimum or the same flat top, and whether Frontdesk's
reported log-likelihood is the same quantity as the reference's.

``lifetimes`` is unmaintained (last release 2020), hence a bench-only extra, never a product dependency.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize  # type: ignore[import-untyped]

try:
    from autograd import hessian, value_and_grad  # type: ignore[import-untyped]
    from lifetimes import BetaGeoFitter, GammaGammaFitter  # type: ignore[import-untyped]
    from lifetimes.datasets import load_cdnow_summary  # type: ignore[import-untyped]
    from lifetimes.utils import ConvergenceError, _scale_time  # type: ignore[import-untyped]
except ImportError as error:  # the bench extra is not installed: the benchmark says so and goes on
    BetaGeoFitter = GammaGammaFitter = None
    MISSING: str | None = f"lifetimes is not installed ({error}); pip install -e '.[bench]'"
else:
    MISSING = None

BGNBD = ("r", "alpha", "a", "b")
GAMMA_GAMMA = ("p", "q", "gamma")
# Agreement: a parameter agrees when it differs by at most a tenth of its standard error (what 700,000
# customers can tell apart: a tenth of the sampling uncertainty moves no prediction noticeably) or, where the
# standard error is tiny or unknown, by at most 0.1 % of its value.
SE_FRACTION, RELATIVE = 0.1, 1e-3
# Two parameter sets whose total log-likelihoods differ by at most this sit on the same maximum: a step of k
# standard errors along any direction the data identify lowers it by about k^2 / 2 (0.005 for k = 0.1).
SAME_MAXIMUM = 0.01
# The published CDNOW fit (Fader, Hardie & Lee 2005, table 1; lifetimes ships the data, in weeks).
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


# A well-posed summary of the benchmark's size, simulated from the models themselves (days, minor units).
TRUTH = {"r": 0.25, "alpha": 40.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "gamma": 3000.0}


@dataclass(frozen=True)
class Fit:
    params: dict[str, float]  # r, alpha, a, b, p, q, gamma
    standard_errors: dict[str, float]  # lifetimes' (delta method over its Hessian); nan where it has none
    notes: tuple[str, ...] = ()  # what went wrong in lifetimes' own fit, if anything


def compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``columns`` and how many customers share each (lifetimes' ``weights``)."""
    rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts


def repeaters(frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    return (frequency > 0) & (monetary > 0)


def _like_lifetimes(fitter: Any, args: tuple[Any, ...], size: int) -> tuple[np.ndarray, dict[int, float]]:
    """lifetimes' own minimisation (``BaseFitter._fit``: its objective with autograd's gradient, SciPy's
    default method, tol 1e-7, start 0.1) without the success check ``_fit`` ends with: the point it stopped
    at, and the standard errors of the log-parameters where its Hessian gives them."""
    with warnings.catch_warnings(action="ignore"):
        output = minimize(value_and_grad(fitter._negative_log_likelihood), jac=True, method=None, tol=1e-7,
                          x0=0.1 * np.ones(size), args=args)  # fmt: skip
        try:
            covariance = np.linalg.inv(hessian(fitter._negative_log_likelihood)(output.x, *args)) / args[-2].sum()
            errors = {i: math.sqrt(v) if v > 0 else math.nan for i, v in enumerate(np.diag(covariance))}
        except np.linalg.LinAlgError:
            errors = {}
    return output.x, errors


def fit_reference(frequency: np.ndarray, recency: np.ndarray, age: np.ndarray, monetary: np.ndarray) -> Fit:
    """lifetimes' fits as its documentation recommends for many customers: identical (frequency, recency, T)
    rows compressed into weights (the compression is part of the time). No penalizer: plain maximum
    likelihood, as the issue asks of Frontdesk.

    When lifetimes refuses its own result (ConvergenceError: SciPy's "precision loss" status, typically at a
    maximum on the boundary, e.g. a -> 0 when nobody drops out), the same minimisation is redone without that
    check and its end point is used, with a note saying so."""
    assert BetaGeoFitter is not None and GammaGammaFitter is not None, MISSING
    notes = []
    params: dict[str, float] = {}
    errors: dict[str, float] = {}
    (f, r, t), weights = compress(frequency, recency, age)
    try:
        # lifetimes prints SciPy's whole result on failure, and warns of a negative variance (its standard error
        # is then nan, as printed) on a boundary maximum.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(action="ignore"):
            bg = BetaGeoFitter(penalizer_coef=0.0).fit(f, r, t, weights=weights)
        params.update({name: float(bg.params_[name]) for name in BGNBD})
        errors.update({name: float(bg.standard_errors_[name]) for name in BGNBD})
    except ConvergenceError:
        scale = _scale_time(t)
        u, log_errors = _like_lifetimes(BetaGeoFitter, (f.astype(int), r * scale, t * scale, weights, 0.0), 4)
        values = np.exp(u)
        values[1] /= scale
        params.update(zip(BGNBD, map(float, values), strict=True))
        errors.update({name: float(values[i] * log_errors.get(i, math.nan)) for i, name in enumerate(BGNBD)})
        notes.append("BetaGeoFitter raised ConvergenceError (SciPy: precision loss); its minimisation's end point "
                     "is used")  # fmt: skip
    keep = repeaters(frequency, monetary)
    (gf, gm), gweights = compress(frequency[keep], monetary[keep])
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(action="ignore"):
            gg = GammaGammaFitter(penalizer_coef=0.0).fit(gf, gm, weights=gweights)
        params.update(p=float(gg.params_["p"]), q=float(gg.params_["q"]), gamma=float(gg.params_["v"]))
        errors.update(p=float(gg.standard_errors_["p"]), q=float(gg.standard_errors_["q"]),
                      gamma=float(gg.standard_errors_["v"]))  # fmt: skip
    except ConvergenceError:
        u, log_errors = _like_lifetimes(GammaGammaFitter, (gf, gm, gweights, 0.0), 3)
        values = np.exp(u)
        params.update(zip(GAMMA_GAMMA, map(float, values), strict=True))
        errors.update({n: float(values[i] * log_errors.get(i, math.nan)) for i, n in enumerate(GAMMA_GAMMA)})
        notes.append("GammaGammaFitter raised ConvergenceError (SciPy: precision loss); its minimisation's end "
                     "point is used")  # fmt: skip
    return Fit(params, errors, tuple(notes))


def log_likelihoods(
    params: dict[str, float], frequency: np.ndarray, recency: np.ndarray, age: np.ndarray, monetary: np.ndarray
) -> tuple[float, float]:
    """BG/NBD's and Gamma-Gamma's total log-likelihoods at ``params`` by lifetimes' own functions (which
    return the mean negative log-likelihood), on the unscaled summary (days, minor units)."""
    assert BetaGeoFitter is not None and GammaGammaFitter is not None, MISSING
    (f, r, t), weights = compress(frequency, recency, age)
    log_bg = np.log([params[name] for name in BGNBD])
    bg = -BetaGeoFitter._negative_log_likelihood(log_bg, f, r, t, weights, 0.0) * weights.sum()
    keep = repeaters(frequency, monetary)
    (gf, gm), gweights = compress(frequency[keep], monetary[keep])
    log_gg = np.log([params["p"], params["q"], params["gamma"]])
    gg = -GammaGammaFitter._negative_log_likelihood(log_gg, gf, gm, gweights, 0.0) * gweights.sum()
    return float(bg), float(gg)


def agrees(name: str, mine: float, reference: Fit) -> tuple[float, float, bool]:
    """Relative difference, difference in standard errors (nan when unknown) and whether they agree."""
    theirs = reference.params[name]
    relative = abs(mine - theirs) / abs(theirs) if theirs else math.inf
    error = reference.standard_errors.get(name, math.nan)
    in_errors = abs(mine - theirs) / error if error and math.isfinite(error) else math.nan
    return relative, in_errors, relative <= RELATIVE or (math.isfinite(in_errors) and in_errors <= SE_FRACTION)


def print_comparison(
    mine: dict[str, float],
    own_log_likelihoods: tuple[float, float],
    theirs: Fit,
    summary: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    truth: dict[str, float] | None = None,
) -> tuple[int, bool]:
    """Frontdesk's parameters beside lifetimes' (and the truth, for simulated data), then both
    log-likelihoods; returns how many parameters disagree, and whether both sit on the same maximum."""
    for note in theirs.notes:
        print(f"    note: {note}")
    head = f"{'truth':>12}" if truth else ""
    print(f"    {'parameter':<10}{'Frontdesk':>14}{'lifetimes':>14}{head}{'rel. diff':>11}{'diff / se':>11}  agree")
    disagree = 0
    for name, value in mine.items():
        relative, in_errors, ok = agrees(name, value, theirs)
        disagree += not ok
        known = f"{truth[name]:>12.6g}" if truth else ""
        print(f"    {name:<10}{value:>14.6g}{theirs.params[name]:>14.6g}{known}{relative:>11.2e}{in_errors:>11.3f}  "
              f"{'yes' if ok else 'NO'}")  # fmt: skip
    at_mine = log_likelihoods(mine, *summary)
    at_theirs = log_likelihoods(theirs.params, *summary)
    print(f"    {'log-likelihood':<16}{'(1) Frontdesk':>18}{'(2) lifetimes formula':>24}{'(3) same formula':>22}"
          f"{'(2) - (3)':>11}")  # fmt: skip
    print(f"    {'':<16}{'reports':>18}{'at Frontdesk params':>24}{'at lifetimes params':>22}")
    same_top = True
    for label, own, a, b in (("BG/NBD", own_log_likelihoods[0], at_mine[0], at_theirs[0]),
                             ("Gamma-Gamma", own_log_likelihoods[1], at_mine[1], at_theirs[1])):  # fmt: skip
        print(f"    {label:<16}{own:>18.3f}{a:>24.3f}{b:>22.3f}{a - b:>11.4f}")
        same_top = same_top and abs(a - b) <= SAME_MAXIMUM
    verdict = "yes" if not disagree else f"NO ({disagree} of {len(mine)} differ)"
    print(f"    parameters agree: {verdict} (tolerance: |difference| <= {SE_FRACTION} standard error of lifetimes' "
          f"estimate, or <= {RELATIVE:.1%} of its value)")  # fmt: skip
    print(f"    same maximum of the likelihood: {'yes' if same_top else 'NO'} (log-likelihoods at both parameter sets "
          f"within {SAME_MAXIMUM} of each other)")  # fmt: skip
    return disagree, same_top


def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The CDNOW summary lifetimes ships (2,357 customers, weeks), or None without lifetimes."""
    if MISSING:
        return None
    data: Any = load_cdnow_summary(index_col=[0])
    return (data["frequency"].to_numpy(dtype=float), data["recency"].to_numpy(dtype=float),
            data["T"].to_numpy(dtype=float))  # fmt: skip


def simulate(customers: int, seed: int = 13) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A purchase summary drawn from BG/NBD and Gamma-Gamma with the TRUTH parameters: first purchases spread
    over two years (T: 1 to 730 whole days), purchase times continuous, recency their whole days."""
    rng = np.random.default_rng(seed)
    t = TRUTH
    rate = rng.gamma(t["r"], 1 / t["alpha"], customers)
    drop = rng.beta(t["a"], t["b"], customers)
    age = rng.integers(1, 731, customers).astype(float)
    frequency, recency, clock = np.zeros(customers), np.zeros(customers), np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    while alive.any():
        who = np.flatnonzero(alive)
        clock[who] += rng.exponential(1 / rate[who])
        late = clock[who] > age[who]
        alive[who[late]] = False
        who = who[~late]
        frequency[who] += 1
        recency[who] = np.floor(clock[who])
        alive[who[rng.random(who.size) < drop[who]]] = False  # drop out after a repeat purchase
    nu = rng.gamma(t["q"], 1 / t["gamma"], customers)
    spent = rng.gamma(t["p"] * np.maximum(frequency, 1), 1 / nu)  # the sum of x spends ~ Gamma(p x, nu)
    monetary = np.where(frequency > 0, spent / np.maximum(frequency, 1), 0.0)
    return frequency, recency, age, monetary
