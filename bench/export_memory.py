"""Peak memory of a 10M-row CSV export (chordme_bi.delivery.export) — prints the figures.

    .venv/bin/python bench/export_memory.py [--rows 10000000] [--format csv]

Builds a marts.fct_sessions-like table (ids, timestamps, text columns that go through the CSV
formula-injection guard) in a temporary DuckDB file, then runs the export in a child process and reads
the child's peak RSS (ru_maxrss of RUSAGE_CHILDREN), so the building step does not count.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, sys, time
from chordme_bi.delivery.export import ExportRequest, run_export
from chordme_bi.settings import Settings
data_dir, fmt = sys.argv[1], sys.argv[2]
settings = Settings(data_dir=data_dir, export_max_records=10**12)
result = run_export(settings, ExportRequest("sessions", "2020-01-01", "2030-01-01", fmt, out=f"{data_dir}/out.{fmt}"))
print(json.dumps({"rows": result.rows, "seconds": result.seconds}))
"""


def build(path: Path, rows: int) -> None:
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(f"""
            CREATE TABLE marts.fct_sessions AS
            SELECT i AS session_id, i % 5000 AS user_id, md5(CAST(i % 5000 AS VARCHAR)) AS user_key,
                   false AS is_pseudonymous, i % 700 AS song_id, NULL::BIGINT AS setlist_id,
                   (['practice', 'performance', 'rehearsal'])[i % 3 + 1] AS session_type,
                   (['mobile', 'tablet', 'desktop', '=cmd'])[i % 4 + 1] AS device_type,
                   TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * 5) AS started_at,
                   CAST(i * 5 // 86400 AS INTEGER) AS day_number, i % 3600 AS total_duration_seconds,
                   (i % 1000) / 10.0 AS completion_percentage
            FROM range({rows}) AS t(i)""")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--format", default="csv", choices=("csv", "json", "parquet"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        started = time.perf_counter()
        build(Path(tmp) / "warehouse.duckdb", args.rows)
        built = time.perf_counter() - started
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        child = subprocess.run([sys.executable, "-c", CHILD, tmp, args.format], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parent.parent)
        if child.returncode:
            print(child.stderr, file=sys.stderr)
            return child.returncode
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        outcome = json.loads(child.stdout.strip().splitlines()[-1])
        size = (Path(tmp) / f"out.{args.format}").stat().st_size
        print(json.dumps({
            "rows": outcome["rows"], "format": args.format, "build_seconds": round(built, 1),
            "export_seconds": outcome["seconds"], "file_mib": round(size / 2**20, 1),
            "peak_rss_mib": round(peak_kib / 1024, 1), "previous_children_peak_mib": round(before / 1024, 1),
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
