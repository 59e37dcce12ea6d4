"""End-to-end benchmark: extract → dbt build → reports → file exports, full and then incremental.

    .venv/bin/python bench/run.py --sessions 100000            # 1000000, 10000000
    .venv/bin/python bench/run.py --sessions 1000000 --stages extract,dbt,floor

What it does, at the given scale:
1. generates a SQLite source (seed 42, ending 2026-10-31) under --workdir, or reuses the one there (a
   reused source is first reset to what the generator wrote: earlier benchmark days are removed);
2. a full run into a fresh DuckDB warehouse: every stage in its own child process;
3. appends one new day (bench/append_day.py) and runs the same stages again, incrementally;
4. the floor: DuckDB alone computing the marts' report aggregates from the raw tables in one SQL pass,
   and every stage's time as a multiple of it; and the floor that writes the facts (floor_marts): the same
   aggregates computed from the two facts after DuckDB alone has written them to a file, the least any
   pipeline that keeps the facts pays.

Per stage it prints wall time, rows per second (rows = fact rows (sessions + events + problem sections)
the run handles: all of them on a full run, the new day's on an incremental one) and peak memory: the
maximum resident set of the stage process and every process it waited for (os.wait4 → RUSAGE_BOTH, so the
dbt subprocess is covered). The reports and exports stages run when their modules exist
(chordme_bi.reports.publish, chordme_bi.bi.files) and print "skipped: not available" otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

END = dt.date(2026, 10, 31)
SEED = 42
FACT_TABLES = ("performance_sessions", "performance_events", "problem_sections")
STAGES = ("definitions", "extract", "dbt", "reports", "exports", "floor")
# Both run whenever "floor" does. floor_bounded: the floor under the pipeline's own memory limit (every stage
# must stay under 2 GB; unbounded, the floor takes 7 GB at 10M). floor_marts: what any pipeline that keeps
# the facts pays at least: the same aggregates, but from the two facts written to a database file first.
CHILD_STAGES = (*STAGES, "floor_bounded", "floor_marts")
BENCH_SECRET = "bench-pseudonym-secret"  # fixed, so pseudonyms (and the work) do not vary between runs


# ------------------------------------------------------------------------------------------------ helpers
def _available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def fact_rows(source: Path) -> dict[str, int]:
    con = sqlite3.connect(str(source))
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in FACT_TABLES}
    finally:
        con.close()


def prepare_source(workdir: Path, sessions: int) -> tuple[Path, dict, float | None]:
    """The source at this scale; generated once, then reset to the generated rows on every run."""
    source = workdir / f"source-{sessions}.db"
    meta_path = source.with_suffix(".json")
    generated_seconds = None
    if not (source.exists() and meta_path.exists()):
        started = time.perf_counter()
        code = (
            "import datetime as dt, sys; from chordme_bi.source.generator import generate; "
            f"generate(sys.argv[1], sessions={sessions}, seed={SEED}, end=dt.date({END.year}, {END.month}, {END.day}))"
        )
        subprocess.run([sys.executable, "-c", code, f"sqlite:///{source}"], check=True, cwd=ROOT)
        generated_seconds = time.perf_counter() - started
        con = sqlite3.connect(str(source))
        meta = {t: con.execute(f"SELECT max(id) FROM {t}").fetchone()[0] for t in FACT_TABLES}
        con.close()
        meta_path.write_text(json.dumps(meta))
    meta = json.loads(meta_path.read_text())
    # A source generated before the contract's tables gained an index gets it (what the generator makes now).
    code = ("import sys, sqlalchemy; from chordme_bi.source.schema import metadata; "
            "e = sqlalchemy.create_engine('sqlite:///' + sys.argv[1]); "
            "[i.create(e, checkfirst=True) for t in metadata.tables.values() for i in t.indexes]")
    subprocess.run([sys.executable, "-c", code, str(source)], check=True, cwd=ROOT)
    con = sqlite3.connect(str(source))
    removed = sum(con.execute(f"DELETE FROM {t} WHERE id > ?", [meta[t]]).rowcount for t in FACT_TABLES)
    con.commit()
    con.close()
    if removed:
        print(f"reset source: removed {removed:,} rows appended by an earlier benchmark")
    return source, meta, generated_seconds


# ------------------------------------------------------------------------------------------------ stages (child side)
def _settings(args):
    from chordme_bi.settings import Settings

    return Settings(data_dir=args.workdir, source_url=f"sqlite:///{args.source}", warehouse_path=args.warehouse,
                    output_dir=Path(args.workdir) / "output")


def stage_definitions(args) -> dict:
    started = time.perf_counter()
    import dagster  # noqa: F401

    t_dagster = time.perf_counter() - started
    import dagster_dbt  # noqa: F401

    t_dbt = time.perf_counter() - started - t_dagster
    from orchestration.definitions import build_definitions

    defs = build_definitions()
    defs.resolve_asset_graph()  # what Dagster does when it loads the code location
    return {"rows": 0, "detail": {"import_dagster_s": round(t_dagster, 2), "import_dagster_dbt_s": round(t_dbt, 2),
                                  "total_s": round(time.perf_counter() - started, 2)}}


def stage_extract(args) -> dict:
    from chordme_bi.extract.extractor import extract_all

    results = extract_all(f"sqlite:///{args.source}", args.warehouse, settings=_settings(args))
    by_table = {r.table: {"read": r.rows_read, "written": r.rows_written, "s": r.seconds} for r in results}
    return {"rows": sum(r.rows_read for r in results), "detail": {"slowest": sorted(
        ((t, v["read"], v["s"]) for t, v in by_table.items()), key=lambda x: -x[2])[:4]}}


def stage_dbt(args) -> dict:
    from chordme_bi.dbt_runner import PIPELINE_EXCLUDED_RESOURCE_TYPES, run_dbt

    # A private target/log path: other people run dbt in the same project at the same time.
    target = Path(args.workdir) / "dbt_target"
    # unit tests left out, as in Dagster's builds
    extra_env = {"DBT_LOG_PATH": str(Path(args.workdir) / "dbt_logs"),
                 "DBT_EXCLUDE_RESOURCE_TYPES": PIPELINE_EXCLUDED_RESOURCE_TYPES}
    if args.dbt_project:  # another copy of the project (e.g. an earlier version) for before/after figures
        from chordme_bi.dbt_runner import dbt_env

        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run([str(dbt), "build", "--target-path", str(target), "--project-dir", args.dbt_project,
                        "--profiles-dir", args.dbt_project], env=dbt_env(args.warehouse, **extra_env),
                       check=True, capture_output=True)
    else:
        run_dbt(["build", "--target-path", str(target)], args.warehouse, **extra_env)
    results = json.loads((target / "run_results.json").read_text())["results"]
    timing = sorted(((r["unique_id"].split(".", 2)[-1], round(r["execution_time"], 2)) for r in results),
                    key=lambda x: -x[1])
    models = sum(t for uid, t in timing if not uid.startswith(("not_null", "unique", "accepted", "relationships",
                                                                "reconciles", "sums_match")))
    return {"rows": None, "detail": {"nodes": len(results), "sum_node_s": round(sum(t for _, t in timing), 1),
                                     "sum_model_s": round(models, 1), "slowest": timing[:8]}}


def stage_reports(args) -> dict:
    if not _available("chordme_bi.reports.publish"):
        return {"skipped": "not available"}
    import duckdb

    from chordme_bi.reports.config import ReportConfig, ReportPeriod, ReportType
    from chordme_bi.reports.inputs import ReportInputs
    from chordme_bi.reports.publish import publish_report

    # As the report assets do: a report that comes out as last time keeps its files (nothing is rendered).
    out = Path(args.workdir) / "output" / "reports"
    today = END + dt.timedelta(days=2)
    outcome = {"written": 0, "kept": 0, "not_built": 0}
    con = duckdb.connect(str(args.warehouse), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        inputs = ReportInputs(con)  # the marts' fingerprints, computed once for the 12 reports
        for report_type in ReportType:
            for period in (ReportPeriod.MONTHLY, ReportPeriod.YEARLY):
                published = publish_report(con, ReportConfig(report_type=report_type, period=period), out,
                                           f"{report_type.value}-{period.value}", args.report_formats.split(","),
                                           today=today, inputs=inputs)
                if published.failed:
                    raise RuntimeError(f"{report_type.value}/{period.value}: {published.failed}")
                outcome["written" if published.written else "kept"] += 1
                outcome["not_built"] += not published.built
    finally:
        con.close()
    return {"rows": None, "detail": {"reports": outcome["written"] + outcome["kept"], **outcome, "formats": args.report_formats}}


def stage_exports(args) -> dict:
    if not _available("chordme_bi.bi.files"):
        return {"skipped": "not available"}
    import duckdb

    from chordme_bi.bi.files import write_manifest, write_mart_files

    out = Path(args.workdir) / "output" / "exports"
    con = duckdb.connect(str(args.warehouse), read_only=True)
    try:
        marts = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY table_name").fetchall()]
    finally:
        con.close()
    entries = {m: write_mart_files(args.warehouse, m, out, ["parquet"]) for m in marts}
    write_manifest(out, entries, args.warehouse)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"rows": None, "detail": {"marts": len(marts), "format": "parquet", "mb": round(size / 2**20, 1)}}


# The floor: what the report aggregates cost when DuckDB computes them straight from raw, in one pass, with
# the validity rules that matter for the numbers (valid sessions only, duplicate events counted once).
# The aggregates are those of the four big marts the reports read, every column of them (agg_student_daily,
# agg_usage_hourly, agg_events_daily, agg_platform_daily): songs practised, problem sections, duration buckets
# and active users too. The two small ones (agg_band_performances, agg_goal_progress_daily: 93k rows and
# fewer, about 3 s of the dbt build at 10M) are left out, so the floor stays a lower bound.
# UTC days and hours come from the epoch (make_timestamp(epoch_us(...))), as the dbt project's utc() does on
# DuckDB: `AT TIME ZONE` goes through ICU, 1.9 s for the events' days alone.
FLOOR_SESSIONS_SQL = """
SELECT {columns}, CASE WHEN coalesce(s.anonymous_data_only, true) AND NOT coalesce(s.analytics_consent, false)
            THEN p.anonymous_key ELSE p.user_key END AS user_key,
       CAST(make_timestamp(epoch_us(s.started_at)) AS DATE) AS d,
       CAST(extract(hour FROM make_timestamp(epoch_us(s.started_at))) AS INTEGER) AS h,
       CAST(extract(isodow FROM make_timestamp(epoch_us(s.started_at))) AS INTEGER) AS dow,
       CASE WHEN lower(trim(s.device_type)) IN ('mobile', 'tablet', 'desktop') THEN lower(trim(s.device_type))
            WHEN s.device_type IS NULL OR trim(s.device_type) = '' THEN 'unknown' ELSE 'other' END AS device,
       coalesce(s.active_duration, s.total_duration) AS active, coalesce(s.completion_percentage, 0) AS completion,
       CASE WHEN s.total_duration < 300 THEN 's' WHEN s.total_duration < 1800 THEN 'm' ELSE 'l' END AS bucket
FROM w.raw.performance_sessions AS s
JOIN w.raw._user_pseudonyms AS p ON p.user_id = s.user_id
WHERE s.started_at IS NOT NULL AND s.total_duration BETWEEN 0 AND 86400
  AND coalesce(s.completion_percentage, 0) BETWEEN 0 AND 100 AND NOT coalesce(s.ended_at < s.started_at, false)
"""

# The aggregates, from {sessions} (FLOOR_SESSIONS_SQL's rows) and {events_daily} (date x event type).
# FLOOR_SESSIONS_SQL keeps the source's columns given as {columns}: the floor only the three it needs.
FLOOR_AGGREGATES_SQL = """
CREATE {kind} TABLE floor_problems_daily AS
SELECT s.d, s.user_key, count(*) AS problem_sections
FROM w.raw.problem_sections AS ps JOIN {sessions} AS s ON s.id = ps.session_id GROUP BY ALL;
CREATE {kind} TABLE floor_student_daily AS
SELECT sd.*, coalesce(pd.problem_sections, 0) AS problem_sections
FROM (SELECT d, user_key, count(*) AS sessions, sum(total_duration) AS seconds, sum(active) AS active_seconds,
             sum(completion) AS completion_sum, count(DISTINCT song_id) AS songs,
             count(*) FILTER (WHERE bucket = 's') AS short, count(*) FILTER (WHERE bucket = 'm') AS medium,
             count(*) FILTER (WHERE bucket = 'l') AS long
      FROM {sessions} GROUP BY ALL) AS sd
LEFT JOIN floor_problems_daily AS pd USING (d, user_key);
CREATE {kind} TABLE floor_hourly AS
SELECT d, h, dow, device, count(*) AS sessions, count(DISTINCT user_key) AS users, sum(total_duration) AS seconds,
       sum(completion) AS completion_sum, avg(completion) AS mean_completion,
       count(*) FILTER (WHERE bucket = 's') AS short, count(*) FILTER (WHERE bucket = 'm') AS medium,
       count(*) FILTER (WHERE bucket = 'l') AS long
FROM {sessions} GROUP BY ALL;
CREATE {kind} TABLE floor_platform_daily AS
SELECT sd.d, sum(sessions) AS sessions, count(*) AS active_users, sum(seconds) AS seconds,
       sum(completion_sum) / sum(sessions) AS mean_completion, sum(sd.problem_sections) AS problem_sections,
       (SELECT sum(events) FROM {events_daily} AS e WHERE e.d = sd.d) AS events,
       (SELECT count(*) FROM w.raw.users AS u WHERE CAST(make_timestamp(epoch_us(u.created_at)) AS DATE) = sd.d) AS new_users,
       (SELECT count(*) FROM w.raw.setlist_performances AS sp
        WHERE CAST(make_timestamp(epoch_us(sp.performance_date)) AS DATE) = sd.d) AS performances
FROM floor_student_daily AS sd GROUP BY sd.d;
"""

# Events per day and type, with their distinct sessions. Fastest unbounded: per session first (its distinct
# events; each group is one session of the day and type): 13.1 s at 10M, against 15.6 s for a second
# count(DISTINCT session_id) beside the events'. Under the memory limit that grouping runs out of memory, so
# the bounded floor takes the distinct events and the distinct sessions in two groupings (16.8 s).
FLOOR_EVENTS_SQL = {
    "unbounded": """
CREATE TEMP TABLE floor_events_daily AS
SELECT d, event_type, sum(events) AS events, count(*) AS sessions
FROM (SELECT CAST(make_timestamp(epoch_us(e."timestamp")) AS DATE) AS d, lower(trim(e.event_type)) AS event_type, e.session_id,
             count(DISTINCT (e.event_type, e."timestamp", e.position_seconds)) AS events
      FROM w.raw.performance_events AS e SEMI JOIN floor_sessions AS s ON s.id = e.session_id
      GROUP BY ALL) AS per_session
GROUP BY ALL""",
    "bounded": """
CREATE TEMP TABLE floor_events_daily AS
SELECT ev.*, ss.sessions
FROM (SELECT CAST(make_timestamp(epoch_us(e."timestamp")) AS DATE) AS d, lower(trim(e.event_type)) AS event_type,
             count(DISTINCT (e.session_id, e.event_type, e."timestamp", e.position_seconds)) AS events
      FROM w.raw.performance_events AS e SEMI JOIN floor_sessions AS s ON s.id = e.session_id GROUP BY ALL) AS ev
JOIN (SELECT d, event_type, count(*) AS sessions
      FROM (SELECT DISTINCT CAST(make_timestamp(epoch_us(e."timestamp")) AS DATE) AS d, lower(trim(e.event_type)) AS event_type,
                   e.session_id
            FROM w.raw.performance_events AS e SEMI JOIN floor_sessions AS s ON s.id = e.session_id) AS day_sessions
      GROUP BY ALL) AS ss USING (d, event_type)""",
}

def floor_sql(bounded: bool) -> str:
    return ";\n".join([
        f"CREATE TEMP TABLE floor_sessions AS {FLOOR_SESSIONS_SQL.format(columns='s.id, s.song_id, s.total_duration')}",
        FLOOR_EVENTS_SQL["bounded" if bounded else "unbounded"],
        FLOOR_AGGREGATES_SQL.format(kind="TEMP", sessions="floor_sessions", events_daily="floor_events_daily"),
    ])


# The floor that keeps the facts: DuckDB alone writes fct_sessions and fct_performance_events (validated as
# simply as the floor validates, duplicate events grouped away) into a file, as the warehouse holds them, and
# computes the floor's aggregates from them. No quarantine, tests, reports or orchestration.
FLOOR_MARTS_SQL = f"""
CREATE TABLE fct_sessions AS {FLOOR_SESSIONS_SQL.format(columns="s.*")};
CREATE TABLE fct_events AS
SELECT min(e.id) AS id, e.session_id, lower(trim(e.event_type)) AS event_type, e."timestamp", e.position_seconds,
       any_value(e.chord_at_position) AS chord_at_position, any_value(lower(trim(e.section_name))) AS section_name,
       any_value(e._loaded_at) AS _loaded_at, CAST(make_timestamp(epoch_us(e."timestamp")) AS DATE) AS d
FROM w.raw.performance_events AS e SEMI JOIN fct_sessions AS s ON s.id = e.session_id
GROUP BY e.session_id, e.event_type, e."timestamp", e.position_seconds;
CREATE TABLE agg_events_daily AS
SELECT d, event_type, count(*) AS events, count(DISTINCT session_id) AS sessions FROM fct_events GROUP BY ALL;
{FLOOR_AGGREGATES_SQL.format(kind="", sessions="fct_sessions", events_daily="agg_events_daily")}
"""


def stage_floor(args, memory_limit: str | None = None) -> dict:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        if memory_limit:  # and the warehouse's other setting (profiles.yml)
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute("SET preserve_insertion_order = false")
        con.execute(f"ATTACH '{args.warehouse}' AS w (READ_ONLY)")
        for statement in filter(str.strip, floor_sql(bounded=bool(memory_limit)).split(";")):
            con.execute(statement)
        rows = con.execute("SELECT count(*) FROM floor_sessions").fetchall()[0][0]
        sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                 for t in ("floor_student_daily", "floor_hourly", "floor_events_daily", "floor_platform_daily")}
    finally:
        con.close()
    return {"rows": None, "detail": {"valid_sessions": rows, **sizes, "memory_limit": memory_limit or "none"}}


def stage_floor_bounded(args) -> dict:
    from chordme_bi.settings import Settings

    return stage_floor(args, Settings.from_env().duckdb_memory_limit)


def stage_floor_marts(args) -> dict:
    import duckdb

    from chordme_bi.settings import Settings

    scratch = Path(args.workdir) / "floor_marts.duckdb"
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    try:
        # the warehouse's settings (profiles.yml): its memory limit, insertion order not kept
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET memory_limit = '{Settings.from_env().duckdb_memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"ATTACH '{args.warehouse}' AS w (READ_ONLY)")
        for statement in filter(str.strip, FLOOR_MARTS_SQL.split(";")):
            con.execute(statement)
        sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                 for t in ("fct_sessions", "fct_events", "floor_student_daily")}
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
    return {"rows": None, "detail": sizes}


def child_main(args) -> None:
    os.environ.setdefault("BI_PSEUDONYM_SECRET", BENCH_SECRET)
    result = globals()[f"stage_{args.child}"](args)
    Path(args.result).write_text(json.dumps(result, default=str))


# ------------------------------------------------------------------------------------------------ parent side
def run_stage(stage: str, args, source: Path, warehouse: Path) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result_path = Path(fh.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", stage, "--source", str(source),
               "--warehouse", str(warehouse), "--workdir", str(args.workdir), "--result", str(result_path),
               "--report-formats", args.report_formats] + (["--dbt-project", args.dbt_project] if args.dbt_project else [])
    env = dict(os.environ, BI_PSEUDONYM_SECRET=BENCH_SECRET, DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               DAGSTER_HOME=str(Path(args.workdir) / "dagster_home"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed (exit {proc.returncode})")
    result = json.loads(result_path.read_text())
    result_path.unlink()
    result.update(seconds=seconds, peak_mb=usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux
    return result


def run_definitions(args, source: Path, warehouse: Path, loads: int = 3) -> dict:
    """The definitions stage, loaded in ``loads`` fresh processes: the median one, with every load's time. One
    load takes the disk's mood: 1.0-1.2 s on a quiet machine, 2.2-9.8 s while the disk is busy (BENCHMARKS.md)."""
    runs = [run_stage("definitions", args, source, warehouse) for _ in range(loads)]
    median = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    median["detail"]["each_total_s"] = [r["detail"]["total_s"] for r in runs]
    return median


def report(title: str, results: dict[str, dict], rows: int, floor_s: float | None) -> None:
    print(f"\n{title}")
    print(f"  {'stage':<13} {'wall s':>8} {'rows/s':>12} {'peak MB':>9} {'x floor':>8}  detail")
    for stage, r in results.items():
        if "skipped" in r:
            print(f"  {stage:<12} skipped: {r['skipped']}")
            continue
        n = r.get("rows") if r.get("rows") is not None else rows
        rate = f"{n / r['seconds']:,.0f}" if n else "-"
        ratio = f"{r['seconds'] / floor_s:.1f}" if floor_s and stage not in ("floor", "definitions") else "-"
        print(f"  {stage:<13} {r['seconds']:>8.2f} {rate:>12} {r['peak_mb']:>9.0f} {ratio:>8}  {json.dumps(r.get('detail', {}))}")


def main() -> None:
    parser = argparse.ArgumentParser(description="ChordMe BI end-to-end benchmark")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}")
    parser.add_argument("--no-incremental", action="store_true", help="skip the appended-day run")
    parser.add_argument("--report-formats", default="json,csv,html",
                        help="formats the reports stage writes (pdf adds a Chromium start per report)")
    parser.add_argument("--dbt-project", help="build this dbt project directory instead of dbt_project/ (before/after)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    # internal: run one stage in this (child) process
    parser.add_argument("--child", choices=CHILD_STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(args)

    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")

    source, _, generated = prepare_source(args.workdir, args.sessions)
    counts = fact_rows(source)
    print(f"source: {source} ({', '.join(f'{t} {n:,}' for t, n in counts.items())})"
          + (f", generated in {generated:.1f}s" if generated else ", reused"))
    warehouse = args.workdir / f"warehouse-{args.sessions}.duckdb"
    for path in (warehouse, warehouse.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(args.workdir / "output", ignore_errors=True)

    figures: dict = {"machine": machine(), "sessions": args.sessions, "source_rows": counts}
    pipeline = [s for s in stages if s != "floor"]
    full = {s: run_definitions(args, source, warehouse) if s == "definitions" else run_stage(s, args, source, warehouse)
            for s in pipeline}
    floor_s = None
    if "floor" in stages:
        full["floor"] = run_stage("floor", args, source, warehouse)
        full["floor_bounded"] = run_stage("floor_bounded", args, source, warehouse)
        full["floor_marts"] = run_stage("floor_marts", args, source, warehouse)
        floor_s = full["floor"]["seconds"]
    report(f"full run, {sum(counts.values()):,} fact rows", full, sum(counts.values()), floor_s)
    figures["full"] = full

    if not args.no_incremental and {"extract", "dbt"} & set(stages):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from append_day import append_day

        started = time.perf_counter()
        appended = append_day(source)
        new_rows = sum(appended["rows"].values())
        print(f"\nappended {appended['day']}: {appended['rows']} in {time.perf_counter() - started:.1f}s")
        incremental = {s: run_stage(s, args, source, warehouse) for s in pipeline if s != "definitions"}
        report(f"incremental run, {new_rows:,} new fact rows", incremental, new_rows, floor_s)
        transform_full = sum(full[s]["seconds"] for s in ("extract", "dbt", "reports", "exports") if s in full and "skipped" not in full[s])
        transform_inc = sum(incremental[s]["seconds"] for s in ("extract", "dbt", "reports", "exports") if s in incremental and "skipped" not in incremental[s])
        if transform_full:
            print(f"  incremental / full (stages run): {transform_inc:.1f}s / {transform_full:.1f}s = {transform_inc / transform_full:.1%}")
        # What the daily warehouse job and the BI file sync do after a new day; the monthly reports run once a
        # month (their windows end before the new day, so their inputs did not change).
        daily = [s for s in ("extract", "dbt", "exports") if s in incremental and "skipped" not in incremental[s]]
        if daily:
            d_full = sum(full[s]["seconds"] for s in daily)
            d_inc = sum(incremental[s]["seconds"] for s in daily)
            print(f"  incremental / full ({' + '.join(daily)}): {d_inc:.1f}s / {d_full:.1f}s = {d_inc / d_full:.1%}")
        figures["incremental"] = incremental
        figures["appended"] = appended
    if floor_s:
        transform = sum(full[s]["seconds"] for s in ("dbt", "reports") if s in full and "skipped" not in full[s])
        print(f"\ntransform (dbt build + reports) = {transform:.1f}s = {transform / floor_s:.1f} x the floor ({floor_s:.1f}s)")
        bounded = full.get("floor_bounded", {}).get("seconds")
        if bounded:
            print(f"  = {transform / bounded:.1f} x the floor under the same memory limit ({bounded:.1f}s, "
                  f"peak {full['floor_bounded']['peak_mb']:.0f} MB)")
        marts = full.get("floor_marts", {}).get("seconds")
        if marts:
            print(f"  = {transform / marts:.1f} x the floor that writes the facts ({marts:.1f}s = {marts / floor_s:.1f} x the floor, "
                  f"peak {full['floor_marts']['peak_mb']:.0f} MB)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
