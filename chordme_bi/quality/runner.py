"""Run a :class:`~chordme_bi.quality.suites.Suite` with Great Expectations 1.x and keep its results.

GX's SQL datasource does not work on DuckDB, so the frames are built here with bounded DuckDB queries and
validated with GX's pandas route on an ephemeral context (nothing written to a GX project on disk). GX is
imported inside :func:`gx_context` only: it costs seconds, and loading the Dagster definitions must not pay it.

The results are kept as GX wrote them (``ExpectationSuiteValidationResult.to_json_dict()``, one file per run
under ``<output_dir>/quality/<suite>/<UTC timestamp>.json``) and summarized in :class:`SuiteOutcome`.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from chordme_bi.quality.suites import SAMPLE_ROWS, Expectation, Suite

_CONTEXT = None


@dataclass
class ExpectationOutcome:
    label: str
    success: bool
    unexpected_count: int | None = None
    observed_value: object = None
    error: str | None = None


@dataclass
class SuiteOutcome:
    suite: str
    relation: str
    success: bool
    evaluated: int = 0
    failed: int = 0
    sample_rows: int = 0
    table_rows: int = 0
    results_path: str = ""
    expectations: list[ExpectationOutcome] = field(default_factory=list)
    error: str | None = None

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]

    def summary(self) -> dict:
        """Flat, JSON-friendly summary for the Dagster check's metadata."""
        return {
            "relation": self.relation,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": self.failed,
            "rows_in_table": self.table_rows,
            "rows_sampled": self.sample_rows,
            "results_path": self.results_path,
            "failed": {e.label: _failure_value(e) for e in self.failures},
            "unexpected_counts": {e.label: e.unexpected_count for e in self.expectations if e.unexpected_count is not None},
            "exact_counts": {e.label: e.observed_value for e in self.expectations if e.unexpected_count is None
                             and e.label.startswith("exact:")},
            **({"error": self.error} if self.error else {}),
        }


def _failure_value(e: ExpectationOutcome):
    if e.error:
        return e.error
    return e.unexpected_count if e.unexpected_count is not None else e.observed_value


def gx_context():
    """One ephemeral GX context per process, analytics and progress bars off."""
    global _CONTEXT
    if _CONTEXT is None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        _CONTEXT = context
    return _CONTEXT


def present_columns(con: duckdb.DuckDBPyConnection, layer: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [layer, table]).fetchall()
    return [r[0] for r in rows]


def sample_frame(con: duckdb.DuckDBPyConnection, suite: Suite, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """Up to SAMPLE_ROWS rows: the whole table when smaller, else the rows with the smallest hash of their
    key, which is deterministic (same rows every run, whatever the thread count) and spread over the table."""
    table_rows = con.execute(f"SELECT count(*) FROM {suite.relation}").fetchall()[0][0]
    select = ", ".join(f'"{c}"' for c in columns)
    order = f' ORDER BY hash("{columns[0]}"), "{columns[0]}" LIMIT {SAMPLE_ROWS}' if table_rows > SAMPLE_ROWS else ""
    return con.execute(f"SELECT {select} FROM {suite.relation}{order}").df(), table_rows


def stats_frame(con: duckdb.DuckDBPyConnection, suite: Suite, now: datetime) -> pd.DataFrame:
    now_sql = f"TIMESTAMPTZ '{now.astimezone(timezone.utc).isoformat()}'"
    parts = [f"CAST({stat.sql.format(now=now_sql)} AS DOUBLE) AS \"{name}\"" for name, stat in suite.stats.items()]
    return con.execute("SELECT " + ", ".join(parts)).df()


def _gx_suite(name: str, expectations: list[Expectation], labels: list[str]):
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name)
    for exp, label in zip(expectations, labels):
        # GX returns results in its own order: the label in meta ties each result to its expectation.
        suite.add_expectation(getattr(gx.expectations, exp.kind)(**exp.kwargs, meta={"label": label}))
    return suite


def _validate(frame: pd.DataFrame, name: str, expectations: list[Expectation], labels: list[str]) -> dict:
    context = gx_context()
    source = context.data_sources.add_pandas(f"{name}-{uuid.uuid4().hex[:8]}")
    batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame})
    try:
        return batch.validate(_gx_suite(name, expectations, labels)).to_json_dict()
    finally:
        context.data_sources.delete(source.name)


def _outcomes(result: dict, labels: list[str]) -> list[ExpectationOutcome]:
    by_label = {item["expectation_config"]["meta"]["label"]: item for item in result["results"]}
    outcomes = []
    for label in labels:
        item = by_label[label]
        res = item.get("result") or {}
        exc = item.get("exception_info") or {}
        outcomes.append(ExpectationOutcome(
            label=label,
            success=bool(item["success"]),
            unexpected_count=res.get("unexpected_count"),
            observed_value=res.get("observed_value") if not label.startswith("exact:") else None,
            error=exc.get("exception_message") if exc.get("raised_exception") else None,
        ))
    return outcomes


def run_suite(con: duckdb.DuckDBPyConnection, suite: Suite, output_dir: Path | str,
              now: datetime | None = None) -> SuiteOutcome:
    """Validate ``suite`` against the warehouse behind ``con`` (read-only is enough) and keep the results."""
    from chordme_bi.quality.suites import between

    now = now or datetime.now(timezone.utc)
    outcome = SuiteOutcome(suite=suite.name, relation=suite.relation, success=False)
    present = present_columns(con, suite.layer, suite.table)
    document: dict = {"suite": suite.name, "relation": suite.relation, "run_at": now.isoformat()}
    if not present:
        outcome.error = f"relation {suite.relation} does not exist"
        document["error"] = outcome.error
    else:
        # A required column that is missing fails columns_present and every expectation on it (GX reports it).
        columns = [c for c in suite.columns if c in present] or present[:1]
        sample, outcome.table_rows = sample_frame(con, suite, columns)
        outcome.sample_rows = len(sample)
        labels = [e.label for e in suite.expectations]
        sample_result = _validate(sample, f"{suite.name}-sample", list(suite.expectations), labels)
        outcome.expectations += _outcomes(sample_result, labels)
        document["sample"] = sample_result
        if suite.stats:
            try:
                stats = stats_frame(con, suite, now)
            except duckdb.Error as exc:  # e.g. a relation the counts join to is missing
                outcome.expectations.append(ExpectationOutcome("exact:counts", False, error=str(exc).splitlines()[0]))
            else:
                stat_exps = [between(name, stat.min_value, stat.max_value) for name, stat in suite.stats.items()]
                stat_labels = [f"exact:{name}" for name in suite.stats]
                stats_result = _validate(stats, f"{suite.name}-exact", stat_exps, stat_labels)
                exact = _outcomes(stats_result, stat_labels)
                for item, value in zip(exact, stats.iloc[0].tolist()):
                    item.observed_value = value
                    item.unexpected_count = None
                outcome.expectations += exact
                document["exact"] = stats_result
        outcome.evaluated = len(outcome.expectations)
        outcome.failed = len(outcome.failures)
        outcome.success = outcome.failed == 0
    document["success"] = outcome.success
    outcome.results_path = str(write_results(document, output_dir, suite.name, now))
    return outcome


def write_results(document: dict, output_dir: Path | str, name: str, now: datetime) -> Path:
    folder = Path(output_dir) / "quality" / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{now.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}.json"
    path.write_text(json.dumps(document, indent=1, default=str))
    return path
