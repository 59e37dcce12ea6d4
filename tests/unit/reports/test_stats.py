"""Stats helpers against values worked out by hand (and scipy's documented results)."""

import math

import pytest

from chordme_bi.reports import stats


def test_pct_change_from_zero_is_undefined_not_zero():
    assert stats.pct_change(5, 0) == (None, "new")
    assert stats.pct_change(0, 0) == (None, "unchanged")
    assert stats.pct_change(None, 3) == (None, "missing")


def test_pct_change_signs():
    assert stats.pct_change(150, 100) == (50.0, "increase")
    assert stats.pct_change(75, 100) == (-25.0, "decrease")
    assert stats.pct_change(0, 100) == (-100.0, "decrease")  # a drop to 0 is a real -100%


def test_weighted_slope_equals_ols_over_individual_points():
    # points (0,10), (0,20), (2,40): OLS slope = sxy/sxx; x mean 2/3, y mean 70/3
    # sxx = 2*(4/9) + (16/9) = 24/9; sxy = (-2/3)(-40/3) + (-2/3)(-10/3) + (4/3)(50/3) = 300/9 -> slope 12.5
    assert stats.weighted_slope([0, 0, 2], [10, 20, 40]) == pytest.approx(12.5)
    # the same points as group means (day 0: mean 15 over 2 sessions; day 2: 40 over 1)
    assert stats.weighted_slope([0, 2], [15, 40], [2, 1]) == pytest.approx(12.5)


def test_weighted_slope_needs_spread():
    assert stats.weighted_slope([3, 3], [1, 2]) is None
    assert stats.weighted_slope([1], [1]) is None


def test_welch_matches_hand_computation():
    # n=10 mean 5 var 4 vs n=10 mean 3 var 4: se = sqrt(0.4 + 0.4) = 0.8944, t = 2 / 0.8944 = 2.2361, df = 18
    result = stats.welch_t_test(10, 5.0, 4.0, 10, 3.0, 4.0)
    assert result.statistic == pytest.approx(2.2361, abs=1e-4)
    assert result.p_value == pytest.approx(0.0382, abs=5e-4)  # two-sided t(18) at 2.236
    assert result.significant


def test_welch_without_enough_data_has_no_p_value():
    assert stats.welch_t_test(1, 5.0, None, 10, 3.0, 4.0).p_value is None
    assert not stats.welch_t_test(1, 5.0, None, 10, 3.0, 4.0).significant


def test_count_rate_test_exact_binomial():
    # 15 vs 5 out of 20 under p=1/2: P(X>=15)*2 = 2 * 21700/1048576 = 0.041389
    result = stats.count_rate_test(15, 5)
    assert result.p_value == pytest.approx(2 * 21700 / 2**20, rel=1e-9)
    assert stats.count_rate_test(10, 10).p_value == pytest.approx(1.0)
    assert stats.count_rate_test(0, 0).p_value is None


def test_chi_square_homogeneity():
    # table [[30,10],[10,30]]: expected 20 everywhere, chi2 = 4 * 100/20 = 20, df 1 -> p = 7.74e-6
    result = stats.chi_square_test({"mobile": 30, "desktop": 10}, {"mobile": 10, "desktop": 30})
    assert result.statistic == pytest.approx(20.0)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(10)), rel=1e-6)  # chi2(1) survival = erfc(sqrt(x/2))
    assert stats.chi_square_test({"mobile": 5}, {"mobile": 7}).p_value is None  # one category: nothing to compare


def test_forecast_recovers_a_linear_weekly_series():
    # 28 days of 10 + t plus +5 on Saturdays: a perfect fit, so the interval collapses to the point.
    weekdays = [(d % 7) + 1 for d in range(28)]
    values = [10 + t + (5 if wd == 6 else 0) for t, wd in enumerate(weekdays)]
    horizon = [(d % 7) + 1 for d in range(28, 35)]
    forecast = stats.linear_dow_forecast(values, weekdays, horizon)
    expected = sum(10 + t for t in range(28, 35)) + 5  # one Saturday in the next week
    assert forecast["point"] == pytest.approx(expected, abs=0.1)
    assert forecast["upper_80"] - forecast["lower_80"] == pytest.approx(0, abs=0.1)
    assert forecast["trend_per_day"] == pytest.approx(1.0, abs=1e-6)


def test_forecast_needs_two_weeks():
    assert stats.linear_dow_forecast([1] * 13, [1] * 13, [1]) is None


def test_p_values_equal_scipy_stats_on_many_inputs():
    """The scipy.special formulas give scipy.stats' own tests' results (scipy.stats is slow to import)."""
    import numpy as np
    from scipy import stats as reference

    from chordme_bi.reports.stats import chi_square_test, count_rate_test, welch_t_test

    rng = np.random.default_rng(11)
    for _ in range(200):
        n1, n2 = (int(v) for v in rng.integers(2, 500, size=2))
        m1, m2 = rng.uniform(0, 100, size=2)
        v1, v2 = rng.uniform(0.1, 900, size=2)
        want = reference.ttest_ind_from_stats(m1, np.sqrt(v1), n1, m2, np.sqrt(v2), n2, equal_var=False)
        got = welch_t_test(n1, m1, v1, n2, m2, v2)
        assert got.statistic == pytest.approx(want.statistic, rel=1e-9)
        assert got.p_value == pytest.approx(want.pvalue, rel=1e-6, abs=1e-12)

        current, previous = (int(v) for v in rng.integers(0, 400, size=2))
        if current + previous:
            assert count_rate_test(current, previous).p_value == pytest.approx(
                reference.binomtest(current, current + previous, 0.5).pvalue, rel=1e-9, abs=1e-15)

        cats = ["mobile", "tablet", "desktop", "other"][: int(rng.integers(2, 5))]
        a = {c: int(rng.integers(1, 300)) for c in cats}
        b = {c: int(rng.integers(1, 300)) for c in cats}
        want = reference.chi2_contingency([[a[c] for c in cats], [b[c] for c in cats]], correction=False)
        got = chi_square_test(a, b)
        assert got.statistic == pytest.approx(want.statistic, rel=1e-9)
        assert got.p_value == pytest.approx(want.pvalue, rel=1e-6, abs=1e-12)
