from datetime import date, datetime, timezone

import pytest

from chordme_bi.delivery.schedule import ScheduleError, cron_for, due_time, iso, latest_fire, next_fire, report_window, zone

UTC = zone(None)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("alias, cron", [("daily", "0 6 * * *"), ("Weekly", "0 6 * * 1"), (" monthly ", "0 6 1 * *")])
def test_aliases_map_to_cron(alias, cron):
    assert cron_for(alias) == cron


@pytest.mark.parametrize("bad", ["every day", "61 * * * *", "0 6 * *", "0 6 * * * *", "", None])
def test_bad_expression_names_it_and_the_valid_forms(bad):
    with pytest.raises(ScheduleError, match="invalid schedule_expression.*daily, weekly, monthly"):
        cron_for(bad)


def test_latest_fire_includes_the_exact_fire_time():
    assert latest_fire("0 6 * * 1", UTC, at(2026, 11, 2, 6, 0)) == at(2026, 11, 2, 6, 0)
    assert latest_fire("0 6 * * 1", UTC, at(2026, 11, 2, 5, 59, 59)) == at(2026, 10, 26, 6, 0)
    assert next_fire("0 6 * * 1", UTC, at(2026, 11, 2, 6, 0)) == at(2026, 11, 9, 6, 0)


def test_timezone_of_the_row_is_used():
    # 06:00 in Berlin is 05:00 UTC in winter (CET) and 04:00 UTC in summer (CEST).
    berlin = zone("Europe/Berlin")
    assert latest_fire("0 6 * * *", berlin, at(2026, 11, 25, 12)) == at(2026, 11, 25, 5)
    assert latest_fire("0 6 * * *", berlin, at(2026, 7, 1, 12)) == at(2026, 7, 1, 4)
    with pytest.raises(ScheduleError, match="unknown timezone 'Mars/Olympus'"):
        zone("Mars/Olympus")


def test_due_time_respects_what_already_ran():
    now = at(2026, 11, 25, 12)
    assert due_time("0 6 * * *", UTC, now, None) == at(2026, 11, 25, 6)
    assert due_time("0 6 * * *", UTC, now, at(2026, 11, 25, 6)) is None  # already launched
    # after an outage only the latest missed fire time runs
    assert due_time("0 6 * * *", UTC, now, at(2026, 11, 20, 6)) == at(2026, 11, 25, 6)


def test_report_window_is_the_period_that_just_ended():
    assert report_window("weekly", at(2026, 11, 2, 6), UTC) == (date(2026, 10, 26), date(2026, 11, 2))
    assert report_window("monthly", at(2026, 11, 1, 6), UTC) == (date(2026, 10, 1), date(2026, 11, 1))
    assert report_window("daily", at(2026, 11, 25, 6), UTC) == (date(2026, 11, 24), date(2026, 11, 25))
    # 23:30 UTC on Oct 31 is already Nov 1 in Tokyo: its monthly window is October
    assert report_window("monthly", at(2026, 10, 31, 23, 30), zone("Asia/Tokyo")) == (date(2026, 10, 1), date(2026, 11, 1))


def test_iso_is_canonical_utc():
    assert iso(datetime(2026, 11, 2, 7, 0, 0, 123, tzinfo=zone("Europe/Berlin"))) == "2026-11-02T06:00:00+00:00"
