"""The purchase models' mathematics, without a database: parameter recovery from simulated customers, closed
forms for hand-picked customers computed independently here, and the not-enough-data failures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from frontdesk.success import clv_math
from frontdesk.success.clv_math import BgNbd, FitFailed, GammaGamma

TRUE_BGNBD = BgNbd(r=0.25, alpha=4.0, a=0.8, b=2.5)  # alpha in days: a typical customer buys every 16 days
TRUE_SPEND = GammaGamma(p=6.0, q=4.0, gamma=1500.0)  # mean order value p*gamma/(q-1) = 3000 cents
CUSTOMERS = 4000


def simulate_bgnbd(
    m: BgNbd, n: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Customers drawn from the BG/NBD process itself (FHL05 section 3): a Poisson purchase rate
    lambda ~ Gamma(r, alpha), a drop-out chance p ~ Beta(a, b) after each repeat purchase, watched for T days
    (spread over a year) after their first purchase."""
    rate = rng.gamma(m.r, 1.0 / m.alpha, n)
    drop = rng.beta(m.a, m.b, n)
    age = rng.uniform(30.0, 365.0, n)
    frequency, recency = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / rate[i])
            if t > age[i]:
                break
            frequency[i] += 1
            recency[i] = t
            if rng.random() < drop[i]:
                break
    return frequency, recency, age


def simulate_spend(g: GammaGamma, frequency: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    """Mean repeat order value: each order ~ Gamma(p, nu), nu ~ Gamma(q, gamma) per customer (FH13)."""
    nu = rng.gamma(g.q, 1.0 / g.gamma, len(frequency))
    return np.array([rng.gamma(g.p, 1.0 / nu[i], int(x)).mean() if x > 0 else 0.0 for i, x in enumerate(frequency)])


# How far a fit from 4,000 simulated customers may lie from the truth, on the log scale. A seeded repeat study
# (100 samples of 4,000 customers, ~2,400 of them repeat buyers) gave these standard deviations of the fitted
# log-parameters: r 0.026, alpha 0.053, a 0.078, b 0.109; p 0.101, q 0.039, gamma 0.135 (the inverse
# Hessian gives the same order). The tolerance is 4 standard deviations: a correct fitter misses it for fewer
# than 1 in 10,000 samples, while a wrong likelihood (a sign, a missing term) moves the estimates by far more.
# With a quarter of the customers every standard deviation would double.
LOG_TOLERANCE_BGNBD = {"r": 0.11, "alpha": 0.22, "a": 0.32, "b": 0.44}
LOG_TOLERANCE_SPEND = {"p": 0.41, "q": 0.16, "gamma": 0.54}


def test_the_fitters_recover_the_parameters_of_simulated_customers() -> None:
    rng = np.random.default_rng(20261130)
    frequency, recency, age = simulate_bgnbd(TRUE_BGNBD, CUSTOMERS, rng)
    monetary = simulate_spend(TRUE_SPEND, frequency, rng)
    fitted, log_likelihood = clv_math.fit_bgnbd(frequency, recency, age)
    for name, tolerance in LOG_TOLERANCE_BGNBD.items():
        error = abs(math.log(getattr(fitted, name) / getattr(TRUE_BGNBD, name)))
        assert error < tolerance, (name, getattr(fitted, name))
    # The maximum beats the truth's likelihood (it is a maximum), by a chi-square-sized margin.
    at_truth = clv_math.bgnbd_log_likelihood(TRUE_BGNBD, frequency, recency, age)
    assert 0 <= log_likelihood - at_truth < 20
    spend, spend_log_likelihood = clv_math.fit_gamma_gamma(frequency, monetary)
    for name, tolerance in LOG_TOLERANCE_SPEND.items():
        error = abs(math.log(getattr(spend, name) / getattr(TRUE_SPEND, name)))
        assert error < tolerance, (name, getattr(spend, name))
    assert spend_log_likelihood >= clv_math.gamma_gamma_log_likelihood(TRUE_SPEND, frequency, monetary)


def test_whole_days_and_identical_customers_give_the_same_fit_as_one_row_each() -> None:
    """The fit collapses identical (x, t_x, T) rows with weights: duplicating every customer changes nothing
    but the log-likelihood, which doubles."""
    rng = np.random.default_rng(7)
    frequency, recency, age = simulate_bgnbd(TRUE_BGNBD, 800, rng)
    recency, age = np.floor(recency), np.ceil(age)
    once, ll_once = clv_math.fit_bgnbd(frequency, recency, age)
    twice, ll_twice = clv_math.fit_bgnbd(np.tile(frequency, 2), np.tile(recency, 2), np.tile(age, 2))
    for name in ("r", "alpha", "a", "b"):
        assert getattr(twice, name) == pytest.approx(getattr(once, name), rel=1e-4)
    assert ll_twice == pytest.approx(2 * ll_once, rel=1e-9)


# --- closed forms, computed here from the papers' formulas without the product's code ---


def hypergeometric(a: float, b: float, c: float, z: float) -> float:
    """Gauss's 2F1(a, b; c; z) for |z| < 1, its series summed term by term."""
    term, total, n = 1.0, 1.0, 0
    while abs(term) > 1e-17 * abs(total) or n < 5:
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
        assert n < 100_000
    return total


def p_alive_by_hand(m: BgNbd, x: float, tx: float, T: float) -> float:
    """FHL08 eq. 5."""
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + m.a / (m.b + x - 1) * ((m.alpha + T) / (m.alpha + tx)) ** (m.r + x))


def expected_by_hand(m: BgNbd, t: float, x: float, tx: float, T: float) -> float:
    """FHL05 eq. 10, as printed (the 2F1 with parameters r + x, b + x; the product uses Euler's transform)."""
    z = t / (m.alpha + T + t)
    power = ((m.alpha + T) / (m.alpha + T + t)) ** (m.r + x)
    bracket = 1.0 - power * hypergeometric(m.r + x, m.b + x, m.a + m.b + x - 1, z)
    numerator = (m.a + m.b + x - 1) / (m.a - 1) * bracket
    denominator = 1.0 + (x > 0) * m.a / (m.b + x - 1) * ((m.alpha + T) / (m.alpha + tx)) ** (m.r + x)
    return numerator / denominator


# FHL05's CDNOW estimates (weeks, but the formulas do not care about the unit) and other plausible fits.
HAND_PICKED = [
    (BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426), 0.0, 0.0, 38.86),
    (BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426), 2.0, 30.43, 38.86),
    (BgNbd(r=0.25, alpha=4.0, a=0.8, b=2.5), 5.0, 20.0, 60.0),
    (BgNbd(r=0.6, alpha=30.0, a=1.7, b=6.0), 12.0, 300.0, 365.0),
]


@pytest.mark.parametrize(("model", "x", "tx", "T"), HAND_PICKED)
def test_p_alive_and_expected_purchases_match_the_closed_forms(model: BgNbd, x: float, tx: float, T: float) -> None:
    assert clv_math.p_alive(model, [x], [tx], [T])[0] == pytest.approx(p_alive_by_hand(model, x, tx, T), rel=1e-12)
    for days in (39.0, 90.0, 365.0):
        found = clv_math.expected_purchases(model, days, [x], [tx], [T])[0]
        assert found == pytest.approx(expected_by_hand(model, days, x, tx, T), rel=1e-9), days


def test_the_papers_worked_example() -> None:
    """FHL05 (p. 279): a CDNOW customer with x = 2, t_x = 30.43, T = 38.86 weeks expects 1.226 purchases in
    the next 39 weeks."""
    cdnow = BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert clv_math.expected_purchases(cdnow, 39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, abs=5e-4)


def test_very_frequent_buyers_give_finite_predictions() -> None:
    """The 2F1 of eq. 10 as printed overflows for thousands of purchases; the transformed one does not."""
    model = BgNbd(r=0.25, alpha=4.0, a=0.8, b=2.5)
    x, tx, T = np.array([3000.0, 800.0]), np.array([1000.0, 1000.0]), np.array([1000.0, 3000.0])
    found = clv_math.expected_purchases(model, 365, x, tx, T)
    assert np.all(np.isfinite(found)) and found[0] > 500 and found[1] < 1e-6
    assert np.all(np.isfinite(clv_math.p_alive(model, x, tx, T)))


def test_expected_order_value_shrinks_towards_the_population_mean() -> None:
    g = GammaGamma(p=6.0, q=4.0, gamma=1500.0)
    population = g.p * g.gamma / (g.q - 1)
    found = clv_math.expected_order_value(g, [0, 1, 100], [0.0, 9000.0, 9000.0])
    assert found[0] == pytest.approx(population)
    assert population < found[1] < found[2] < 9000.0
    # FH13 eq. 9 written as a weighted mean of the population mean and the customer's own mean.
    weight = g.p * 1 / (g.p * 1 + g.q - 1)
    assert found[1] == pytest.approx((1 - weight) * population + weight * 9000.0)


def test_lifetime_value_is_the_discounted_sum_of_monthly_purchases_times_order_value() -> None:
    model, g = BgNbd(r=0.25, alpha=4.0, a=0.8, b=2.5), GammaGamma(p=6.0, q=4.0, gamma=1500.0)
    x, tx, T, m = 3.0, 50.0, 120.0, 2500.0
    monthly = (1.10) ** (1 / 12) - 1
    month = 365.25 / 12
    expected = [expected_by_hand(model, k * month, x, tx, T) for k in range(13)]
    value = g.p * (g.gamma + x * m) / (g.p * x + g.q - 1)
    by_hand = sum((expected[k] - expected[k - 1]) * value / (1 + monthly) ** k for k in range(1, 13))
    found = clv_math.lifetime_value(model, g, [x], [tx], [T], [m], months=12, annual_discount_rate=0.10)[0]
    assert found == pytest.approx(by_hand, rel=1e-9)
    undiscounted = clv_math.lifetime_value(model, g, [x], [tx], [T], [m], months=12, annual_discount_rate=0.0)[0]
    assert undiscounted == pytest.approx(expected[12] * value, rel=1e-9) and undiscounted > found


# --- not enough data ---


def test_no_customers_or_no_repeaters_cannot_be_fitted() -> None:
    with pytest.raises(FitFailed, match="no customers"):
        clv_math.fit_bgnbd([], [], [])
    with pytest.raises(FitFailed, match="none of the 3 customers made a repeat purchase"):
        clv_math.fit_bgnbd([0, 0, 0], [0, 0, 0], [10, 20, 30])
    with pytest.raises(FitFailed, match="at least 2 repeat customers who spent money; there is 1"):
        clv_math.fit_gamma_gamma([0, 3, 2], [0.0, 1500.0, 0.0])


def test_a_fit_that_does_not_converge_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stuck:
        success, fun = False, float("nan")
        x, jac = np.full(4, np.nan), np.full(4, np.nan)

    monkeypatch.setattr(clv_math, "minimize", lambda *args, **kwargs: Stuck())
    rng = np.random.default_rng(3)
    frequency, recency, age = simulate_bgnbd(TRUE_BGNBD, 200, rng)
    with pytest.raises(FitFailed, match="BG/NBD purchase fit did not converge"):
        clv_math.fit_bgnbd(frequency, recency, age)


def test_an_order_value_model_with_infinite_mean_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class AtQBelowOne:
        success, fun = True, 1.0
        x, jac = np.log(np.array([2.0, 0.8, 1.0])), np.zeros(3)

    monkeypatch.setattr(clv_math, "minimize", lambda *args, **kwargs: AtQBelowOne())
    with pytest.raises(FitFailed, match=r"q = 0.8 <= 1, which makes the mean order value infinite"):
        clv_math.fit_gamma_gamma([1, 2, 3], [1000.0, 2000.0, 3000.0])
