"""BI export speed figures: `.venv/bin/python bench/bi_bench.py [--hyper-rows N] [--push-rows N]`.

1. .hyper write rate: a table shaped like marts.fct_sessions (1M rows by default) in a temporary DuckDB,
   written through the bulk path (DuckDB COPY -> Parquet -> Hyper CREATE TABLE AS external()).
2. Power BI push of 200k rows against the local fake (tests/integration/bi/bi_fakes.py), which enforces
   10,000 rows per POST, 5 pending POSTs and N POSTs per window per dataset. The service's window is one
   minute; here it is scaled to one second (120 POSTs per second) so the run takes seconds, not minutes.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "integration" / "bi")]

import duckdb  # noqa: E402

FCT_SESSIONS_LIKE = """
CREATE TABLE marts.fct_sessions AS
SELECT i::BIGINT AS session_id, (i % 5000)::BIGINT AS user_id, md5((i % 5000)::VARCHAR) AS user_key,
       (i % 17 = 0) AS is_pseudonymous, (i % 900)::BIGINT AS song_id,
       CASE WHEN i % 7 = 0 THEN (i % 50)::BIGINT END AS setlist_id,
       ['practice', 'performance', 'lesson'][i % 3 + 1] AS session_type, ['ios', 'android', 'web'][i % 3 + 1] AS device_type,
       TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i * 37) AS started_at,
       TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i * 37 + 600 + i % 3000) AS ended_at,
       (i % 101 = 0) AS is_open, (DATE '2026-01-01' + (i * 37 // 86400)::INTEGER) AS session_date,
       ((i * 37 // 3600) % 24)::INTEGER AS session_hour, (i % 7 + 1)::INTEGER AS day_of_week,
       (600 + i % 3000)::BIGINT AS total_duration_seconds, (500 + i % 2500)::BIGINT AS active_duration_seconds,
       ['short', 'medium', 'long'][i % 3 + 1] AS duration_bucket, (i % 1000) / 10.0 AS completion_percentage,
       (i % 4)::BIGINT AS tempo_changes, (i % 6)::BIGINT AS pause_count, (i % 3)::BIGINT AS rewind_count,
       (i % 2)::BIGINT AS fast_forward_count, CASE WHEN i % 4 = 0 THEN (i % 5 + 1)::BIGINT END AS session_rating,
       (i % 5 + 1)::BIGINT AS difficulty_rating, (i % 9 <> 0) AS analytics_consent, (i % 23 = 0) AS anonymous_data_only,
       now()::TIMESTAMPTZ AS _loaded_at
FROM range({rows}) t(i)
"""


def bench_hyper(rows: int, tmp: Path) -> None:
    from chordme_bi.bi.hyper import write_hyper_extracts

    warehouse = tmp / "bench.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(FCT_SESSIONS_LIKE.format(rows=rows))
    started = time.perf_counter()
    [result] = write_hyper_extracts(warehouse, ["fct_sessions"], tmp / "hyper", work_dir=tmp)
    seconds = time.perf_counter() - started
    print(f"hyper: {result.rows:,} rows x {len(result.columns)} columns -> {result.bytes / 1e6:.1f} MB in "
          f"{seconds:.2f} s (incl. Hyper start-up) = {result.rows / seconds:,.0f} rows/s; "
          f"COPY+CTAS alone {result.seconds:.2f} s = {result.rows / result.seconds:,.0f} rows/s")


def bench_push(rows: int, tmp: Path, batch_rows: int, client_limit: int, label: str) -> None:
    from bi_fakes import FakePowerBI

    from chordme_bi.bi.config import parse_connections
    from chordme_bi.bi.powerbi import PowerBIClient, push_marts
    from chordme_bi.bi.ratelimit import SlidingWindowLimiter

    warehouse = tmp / f"push-{label}.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(FCT_SESSIONS_LIKE.format(rows=rows))
    [connection] = parse_connections({"connections": [{"name": "bench", "platform": "powerbi",
                                                       "data_sources": ["fct_sessions"]}]})
    with FakePowerBI(max_per_window=120, window_seconds=1.0, max_pending=5) as fake:
        connection = connection.model_copy(update={"endpoint": fake.api})
        client = PowerBIClient(fake.api, lambda force=False: "good-token", backoff_base=0.05)
        limiter = SlidingWindowLimiter(client_limit, 1.0, 5)
        started = time.perf_counter()
        [result] = push_marts(warehouse, connection, ["fct_sessions"], tmp / f"state-{label}", "bench", client,
                              limiter=limiter, batch_rows=batch_rows)
        seconds = time.perf_counter() - started
        stored = len(fake.rows[next(iter(fake.rows))]["fct_sessions"])
    print(f"powerbi push [{label}]: {result.rows:,} rows in batches of {batch_rows:,}: {client.stats.requests} "
          f"requests ({client.stats.post_rows} POST rows, {fake.accepted_posts} accepted), "
          f"{client.stats.throttled} x 429 received, max {fake.max_seen_in_window} POSTs in a window, "
          f"{stored:,} rows stored, {seconds:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hyper-rows", type=int, default=1_000_000)
    parser.add_argument("--push-rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chordme-bi-bench-") as tmp:
        tmp = Path(tmp)
        bench_hyper(args.hyper_rows, tmp)
        print("powerbi fake: 120 POST rows per 1 s window per dataset (the service's 1 min scaled 60x), 5 pending")
        bench_push(args.push_rows, tmp, 10_000, 120, "limits respected")
        bench_push(args.push_rows, tmp, 500, 120, "500-row batches: the limiter paces")
        bench_push(args.push_rows, tmp, 500, 100_000, "500-row batches, client limiter off: the fake throttles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
