"""agg_band_performances' preparation columns against a computation of their own, in pandas, from the marts they
are built from: the members' sessions in the rehearsal window [performed_at - 14 days, performed_at)."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pandas as pd

WINDOW = timedelta(days=14)  # dbt var rehearsal_window_days


def _frames(settings) -> dict[str, pd.DataFrame]:
    queries = {
        "performances": "SELECT p.performance_id, p.setlist_id AS band_id, p.performed_at FROM marts.fct_setlist_performances p "
                        "JOIN marts.dim_bands b ON b.band_id = p.setlist_id",
        "members": "SELECT band_id, user_id FROM marts.bridge_band_members",
        "songs": "SELECT DISTINCT setlist_id AS band_id, song_id FROM marts.bridge_setlist_songs",
        "sessions": "SELECT user_id, started_at, session_type, setlist_id, song_id FROM marts.fct_sessions WHERE user_id IS NOT NULL",
        "aggregate": "SELECT performance_id, members_practised_in_window, rehearsal_sessions_in_window FROM marts.agg_band_performances",
    }
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return {name: con.execute(sql).df() for name, sql in queries.items()}


def test_preparation_counts_the_members_sessions_in_the_window_before_each_performance(built_warehouse):
    f = _frames(built_warehouse)
    pairs = (f["performances"].merge(f["members"], on="band_id")
             .merge(f["sessions"], on="user_id"))
    in_window = pairs[(pairs.started_at < pairs.performed_at) & (pairs.started_at >= pairs.performed_at - WINDOW)]
    sessions = in_window.merge(f["songs"].assign(song_on_setlist=True), on=["band_id", "song_id"], how="left")
    on_setlist = sessions.setlist_id.eq(sessions.band_id)  # a band's setlist has the band's id
    practised = sessions[on_setlist | sessions.song_on_setlist.eq(True)]
    rehearsals = sessions[on_setlist & sessions.session_type.eq("rehearsal")]
    expected = pd.DataFrame({
        "members_practised_in_window": practised.groupby("performance_id").user_id.nunique(),
        "rehearsal_sessions_in_window": rehearsals.groupby("performance_id").size(),
    })
    expected = (f["performances"][["performance_id"]].merge(expected, left_on="performance_id", right_index=True, how="left")
                .fillna(0).astype("int64").set_index("performance_id").sort_index())
    actual = f["aggregate"].astype("int64").set_index("performance_id").sort_index()

    assert expected.sum().min() > 0, "the fixture has no practice in any window: the comparison would prove nothing"
    pd.testing.assert_frame_equal(actual, expected, check_names=False)
