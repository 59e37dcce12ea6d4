"""Small statistics used by the reports: percent change, weighted OLS, significance tests, a forecast.

Pure functions of numbers (no pandas, no DuckDB). The tests work from sufficient statistics (count, mean,
variance) that SQL computes over a window, so no per-session rows are ever loaded to test a change.
The p-values come from scipy.special's distribution functions (Student t, binomial, chi-square), imported
inside the functions: scipy.stats would add about a second to every process that builds a report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Significance level of every change test in the reports.
ALPHA = 0.05
# z for a two-sided 80% interval.
Z_80 = 1.2815515655446004


def safe_div(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def pct_change(current: float | None, previous: float | None) -> tuple[float | None, str]:
    """Percent change and a label. A change from 0 is undefined: (None, 'new') or (None, 'unchanged')."""
    if current is None or previous is None:
        return None, "missing"
    if previous == 0:
        return None, "unchanged" if current == 0 else "new"
    change = 100.0 * (current - previous) / abs(previous)
    return change, "increase" if change > 0 else "decrease" if change < 0 else "unchanged"


def weighted_slope(x: Sequence[float], y: Sequence[float], w: Sequence[float] | None = None) -> float | None:
    """Weighted least-squares slope of y on x; None when x has no spread.

    With x constant within groups, the slope of group means weighted by group size equals the OLS slope over
    the individual points: that is how per-session trends are computed from daily aggregates.
    """
    w = [1.0] * len(x) if w is None else list(w)
    total = sum(w)
    if total <= 0 or len(x) < 2:
        return None
    mx = sum(wi * xi for wi, xi in zip(w, x)) / total
    my = sum(wi * yi for wi, yi in zip(w, y)) / total
    sxx = sum(wi * (xi - mx) ** 2 for wi, xi in zip(w, x))
    if sxx == 0:
        return None
    return sum(wi * (xi - mx) * (yi - my) for wi, xi, yi in zip(w, x, y)) / sxx


@dataclass(frozen=True)
class TestResult:
    test: str
    statistic: float | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    def as_dict(self) -> dict:
        return {
            "test": self.test,
            "statistic": None if self.statistic is None else round(self.statistic, 4),
            "p_value": None if self.p_value is None else round(self.p_value, 6),
            "significant": self.significant,
        }


def welch_t_test(n1: int, mean1: float | None, var1: float | None,
                 n2: int, mean2: float | None, var2: float | None) -> TestResult:
    """Welch's unequal-variance t-test from sample sizes, means and sample variances (ddof=1)."""
    name = "welch_t_test"
    if n1 < 2 or n2 < 2 or None in (mean1, mean2, var1, var2):
        return TestResult(name, None, None)
    if var1 == 0 and var2 == 0:  # no spread: identical means are no change; different ones are certain
        return TestResult(name, None, 1.0 if mean1 == mean2 else 0.0)
    from scipy.special import stdtr

    se1, se2 = var1 / n1, var2 / n2
    t = (mean1 - mean2) / math.sqrt(se1 + se2)
    df = (se1 + se2) ** 2 / (se1**2 / (n1 - 1) + se2**2 / (n2 - 1))  # Welch-Satterthwaite
    return TestResult(name, float(t), float(2 * stdtr(df, -abs(t))))


def count_rate_test(current: int, previous: int) -> TestResult:
    """Do two counts over equal-length windows differ? Exact conditional test for two Poisson rates:
    given the total, the current count is Binomial(total, 1/2) when the rate did not change."""
    name = "poisson_rate_test"
    total = current + previous
    if total == 0:
        return TestResult(name, None, None)
    from scipy.special import bdtr

    # Binomial(total, 1/2) is symmetric: two-sided = twice the tail beyond the smaller count, at most 1.
    tail = float(bdtr(min(current, previous), total, 0.5))
    return TestResult(name, float(current - previous), min(1.0, 2 * tail))


def chi_square_test(current: dict[str, int], previous: dict[str, int]) -> TestResult:
    """Chi-square test of homogeneity: did the share of each category change between the two windows?"""
    name = "chi_square_test"
    categories = sorted(k for k in set(current) | set(previous) if current.get(k, 0) + previous.get(k, 0) > 0)
    if len(categories) < 2 or sum(current.values()) == 0 or sum(previous.values()) == 0:
        return TestResult(name, None, None)
    from scipy.special import chdtrc

    rows = [[current.get(k, 0) for k in categories], [previous.get(k, 0) for k in categories]]
    row_totals = [sum(row) for row in rows]
    column_totals = [a + b for a, b in zip(*rows)]
    total = sum(row_totals)
    statistic = sum((observed - expected) ** 2 / expected
                    for row, row_total in zip(rows, row_totals)
                    for observed, column_total in zip(row, column_totals)
                    for expected in [row_total * column_total / total])
    return TestResult(name, float(statistic), float(chdtrc(len(categories) - 1, statistic)))


def linear_dow_forecast(values: Sequence[float], weekdays: Sequence[int], horizon_weekdays: Sequence[int]) -> dict | None:
    """Forecast the sum over future days with a linear trend plus a day-of-week effect, fitted by OLS.

    ``values`` are daily counts in order, ``weekdays`` their ISO weekdays (1-7), ``horizon_weekdays`` those of the
    days to forecast (they follow the last day). The 80% interval of the sum is point +- z * sigma * sqrt(h),
    sigma the residual standard deviation (residuals taken as independent; parameter uncertainty ignored).
    Needs at least 14 days (two of each weekday); returns None otherwise.
    """
    import numpy as np

    n = len(values)
    if n < 14:
        return None
    days = sorted(set(weekdays))

    def design(t: Sequence[float], dows: Sequence[int]) -> np.ndarray:
        columns = [np.asarray(t, dtype=float)] + [np.asarray([1.0 if d == day else 0.0 for d in dows]) for day in days]
        return np.column_stack(columns)

    X = design(range(n), weekdays)
    y = np.asarray(values, dtype=float)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residuals = y - X @ coef
    dof = max(n - X.shape[1], 1)
    sigma = float(math.sqrt(float(residuals @ residuals) / dof))
    h = len(horizon_weekdays)
    # A weekday never seen in the history gets the mean weekday effect.
    mean_effect = float(np.mean(coef[1:]))
    effects = {day: float(c) for day, c in zip(days, coef[1:])}
    point = sum(max(coef[0] * (n + i) + effects.get(d, mean_effect), 0.0) for i, d in enumerate(horizon_weekdays))
    half_width = Z_80 * sigma * math.sqrt(h)
    return {
        "method": "ols_linear_trend_plus_day_of_week",
        "days": h,
        "point": round(point, 1),
        "lower_80": round(max(point - half_width, 0.0), 1),
        "upper_80": round(point + half_width, 1),
        "trend_per_day": round(float(coef[0]), 4),
        "residual_sd": round(sigma, 3),
    }
