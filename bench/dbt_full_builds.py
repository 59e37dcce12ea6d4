"""Full dbt builds of one extracted warehouse, repeated: how much the full build varies, and why.

    .venv/bin/python bench/dbt_full_builds.py data/bench/warehouse-10000000.duckdb --threads 1 --repeat 3

The warehouse given is only read: its raw schema is copied into a new file under --workdir (once; the marts
it may hold are left out), and every build starts from a copy of that. Per build it prints the wall time, dbt's
own time, the sum of node times, the peak resident memory of dbt (os.wait4), the largest size the spill
directory reached (sampled every 0.2 s) and when the largest models ran, so that two models sharing the memory
limit show side by side. --threads and BI_DUCKDB_MEMORY_LIMIT are the settings worth comparing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def raw_copy_path(warehouse: Path, workdir: Path) -> Path:
    return workdir / f"raw-of-{warehouse.stem}.duckdb"


def raw_only_copy(warehouse: Path, workdir: Path) -> None:
    import duckdb

    base = raw_copy_path(warehouse, workdir)
    if not base.exists():
        partial = base.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        with duckdb.connect(str(partial)) as con:
            con.execute(f"ATTACH '{warehouse}' AS built (READ_ONLY)")
            con.execute("CREATE SCHEMA raw")
            for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'built' "
                                        "AND schema_name = 'raw' ORDER BY 1").fetchall():
                con.execute(f'CREATE TABLE raw."{table}" AS SELECT * FROM built.raw."{table}"')
        partial.rename(base)


def spill_peak(directory: Path, done: threading.Event, peak: list[int]) -> None:
    while not done.wait(0.2):
        try:
            size = sum(f.stat().st_size for f in directory.iterdir())
        except OSError:  # not there yet, or a file went while summing
            continue
        peak[0] = max(peak[0], size)


def build_once(base: Path, workdir: Path, threads: int | None) -> dict:
    from chordme_bi.dbt_runner import DBT_PROJECT_DIR, PIPELINE_EXCLUDED_RESOURCE_TYPES, dbt_env

    warehouse = workdir / "full-build.duckdb"
    for stale in (warehouse, warehouse.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    spill_directory = warehouse.with_suffix(".duckdb.tmp")
    shutil.rmtree(spill_directory, ignore_errors=True)
    shutil.copy(base, warehouse)
    target = workdir / "full-build-target"
    command = [str(Path(sys.executable).with_name("dbt")), "build", "--target-path", str(target),
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if threads:
        command += ["--threads", str(threads)]
    env = dbt_env(warehouse, DBT_LOG_PATH=str(workdir / "full-build-logs"),
                  DBT_EXCLUDE_RESOURCE_TYPES=PIPELINE_EXCLUDED_RESOURCE_TYPES)
    done, peak_spill = threading.Event(), [0]
    sampler = threading.Thread(target=spill_peak, args=(spill_directory, done, peak_spill))
    sampler.start()
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if status:
        raise SystemExit(f"dbt build failed (status {status}); see {workdir / 'full-build-logs'}")
    results = json.loads((target / "run_results.json").read_text())
    timed = [r for r in results["results"] if r["timing"]]
    first = min(dt.datetime.fromisoformat(r["timing"][0]["started_at"].rstrip("Z")) for r in timed)

    def offset(r: dict, key: str) -> float:  # seconds since the first node, of the node's execute step
        return round((dt.datetime.fromisoformat(r["timing"][-1][key].rstrip("Z")) - first).total_seconds(), 1)

    largest = sorted(timed, key=lambda r: -r["execution_time"])[:4]
    return {"threads": threads or "profile", "wall_s": round(wall, 1), "dbt_s": round(results["elapsed_time"], 1),
            "node_s": round(sum(r["execution_time"] for r in results["results"]), 1),
            "peak_mb": usage.ru_maxrss // 1024, "spill_peak_mb": peak_spill[0] // 2**20,
            "largest": [(r["unique_id"].split(".")[-1], offset(r, "started_at"), offset(r, "completed_at"))
                        for r in sorted(largest, key=lambda r: r["timing"][-1]["started_at"])]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path, help="a warehouse whose raw schema holds an extracted source")
    parser.add_argument("--threads", type=int, help="dbt --threads (default: the profile's)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench" / "full-builds")
    parser.add_argument("--copy-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.copy_only:
        raw_only_copy(args.warehouse.resolve(), args.workdir)
        return
    # in a process of its own, and DuckDB never imported here: dbt is forked from this process, and a fork starts
    # with its parent's resident memory, which the peak of the dbt process would then count
    subprocess.run([sys.executable, __file__, str(args.warehouse), "--workdir", str(args.workdir), "--copy-only"],
                   check=True)
    base = raw_copy_path(args.warehouse.resolve(), args.workdir)
    print(f"memory_limit {os.environ.get('BI_DUCKDB_MEMORY_LIMIT', 'the default')}, raw copy {base}")
    for _ in range(args.repeat):
        print(json.dumps(build_once(base, args.workdir, args.threads)), flush=True)


if __name__ == "__main__":
    main()
