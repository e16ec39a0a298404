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

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

try:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.datasets import load_cdnow_summary
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
# The published CDNOW fit (Fader, Hardie & Lee 2005, table 1; lifetimes ships the data, in weeks).
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@dataclass(frozen=True)
class Fit:
    params: dict[str, float]  # r, alpha, a, b, p, q, gamma
    standard_errors: dict[str, float]  # lifetimes' (delta method over its Hessian); empty for Frontdesk


def compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``columns`` and how many customers share each (lifetimes' ``weights``)."""
    rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts


def repeaters(frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    return (frequency > 0) & (monetary > 0)  # type: ignore[no-any-return]


def fit_reference(frequency: np.ndarray, recency: np.ndarray, age: np.ndarray, monetary: np.ndarray) -> Fit:
    """lifetimes' fits as its documentation recommends for many customers: identical (frequency, recency, T)
    rows compressed into weights (the compression is part of the time). No penalizer: plain maximum
    likelihood, as the issue asks of Frontdesk."""
    assert BetaGeoFitter is not None and GammaGammaFitter is not None, MISSING
    (f, r, t), weights = compress(frequency, recency, age)
    bg = BetaGeoFitter(penalizer_coef=0.0).fit(f, r, t, weights=weights)
    keep = repeaters(frequency, monetary)
    (gf, gm), gweights = compress(frequency[keep], monetary[keep])
    gg = GammaGammaFitter(penalizer_coef=0.0).fit(gf, gm, weights=gweights)
    params = {name: float(bg.params_[name]) for name in BGNBD}
    params.update(p=float(gg.params_["p"]), q=float(gg.params_["q"]), gamma=float(gg.params_["v"]))
    errors = {name: float(bg.standard_errors_[name]) for name in BGNBD}
    errors.update(p=float(gg.standard_errors_["p"]), q=float(gg.standard_errors_["q"]),
                  gamma=float(gg.standard_errors_["v"]))  # fmt: skip
    return Fit(params, errors)


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


def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The CDNOW summary lifetimes ships (2,357 customers, weeks), or None without lifetimes."""
    if MISSING:
        return None
    data: Any = load_cdnow_summary(index_col=[0])
    return (data["frequency"].to_numpy(dtype=float), data["recency"].to_numpy(dtype=float),
            data["T"].to_numpy(dtype=float))  # fmt: skip
