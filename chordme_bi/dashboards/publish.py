"""Every active dashboard rendered and written where its sharing_config allows, nowhere else.

``<output>/dashboards/users/<user_id>/<dashboard_id>-<slug>.html`` for the owner and each user it is shared
with, ``<output>/dashboards/public/<dashboard_id>-<slug>.html`` only when ``is_public``. The dashboards
folder is owned by this step: a page that the current sharing no longer allows (unshared, made private,
paused, renamed) is deleted, so revoking access takes effect on the next run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from chordme_bi.dashboards.compile import WidgetResult, run_widget
from chordme_bi.dashboards.spec import Dashboard, Widget, parse_dashboard

DASHBOARDS_TABLE = "staging.stg_chordme__custom_dashboards"


@dataclass
class PublishResult:
    as_of: date
    dashboards: int = 0
    widgets_ok: int = 0
    widgets_failed: int = 0
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # "<dashboard_id>/<widget title>" -> message


def dashboard_paths(dashboard: Dashboard, root: Path) -> list[Path]:
    """Where a dashboard may be read: one page per reader, plus the public one when is_public."""
    name = f"{dashboard.dashboard_id}-{dashboard.slug}.html"
    paths = [root / "users" / str(user_id) / name for user_id in dashboard.readers]
    if dashboard.sharing.is_public:
        paths.append(root / "public" / name)
    return paths


def latest_data_date(con) -> date | None:
    row = con.execute("SELECT max(session_date) FROM marts.fct_sessions").fetchall()[0]
    return row[0]


def load_dashboards(con) -> list[Dashboard]:
    cursor = con.execute(
        f"SELECT dashboard_id, owner_user_id, dashboard_name, description, layout_config, widget_config, "
        f"sharing_config, status FROM {DASHBOARDS_TABLE} ORDER BY dashboard_id"
    )
    names = [d[0] for d in cursor.description]
    return [parse_dashboard(dict(zip(names, row))) for row in cursor.fetchall()]


def evaluate(con, dashboards: list[Dashboard], as_of: date) -> dict[int, dict[int, WidgetResult]]:
    """Run every valid widget of the active dashboards (queries only; rendering happens after)."""
    results: dict[int, dict[int, WidgetResult]] = {}
    for dashboard in dashboards:
        if not dashboard.is_active:
            continue
        results[dashboard.dashboard_id] = {
            w.index: run_widget(con, w, as_of) for w in dashboard.widgets if isinstance(w, Widget)
        }
    return results


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)  # readers never see a half-written page


def _remove_stale(root: Path, keep: set[Path]) -> list[Path]:
    removed = []
    for sub in ("users", "public"):
        base = root / sub
        if not base.exists():
            continue
        for path in sorted(base.rglob("*.html")):
            if path.resolve() not in keep:
                path.unlink()
                removed.append(path)
        for folder in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    return removed


def publish(warehouse_path: Path | str, output_dir: Path | str, as_of: date | None = None,
            generated_at: datetime | None = None) -> PublishResult:
    """Render and write every active dashboard; returns what was written and each widget's outcome."""
    from chordme_bi.dashboards.render import render_dashboard
    from chordme_bi.warehouse import read_only

    generated_at = generated_at or datetime.now(timezone.utc)
    # Queries first, on one short read-only connection; rendering (matplotlib) runs after it is closed.
    with read_only(warehouse_path) as con:
        as_of = as_of or latest_data_date(con) or generated_at.date()
        dashboards = load_dashboards(con)
        results = evaluate(con, dashboards, as_of)
    return write_dashboards(dashboards, results, Path(output_dir) / "dashboards", as_of, generated_at, render_dashboard)


def write_dashboards(dashboards, results, root: Path, as_of: date, generated_at: datetime, render) -> PublishResult:
    outcome = PublishResult(as_of=as_of)
    keep: set[Path] = set()
    for dashboard in dashboards:
        if not dashboard.is_active:
            continue
        widget_results = results.get(dashboard.dashboard_id, {})
        for item in dashboard.widgets:
            result = widget_results.get(item.index)
            if result is not None and result.ok:
                outcome.widgets_ok += 1
            else:
                outcome.widgets_failed += 1
                message = result.error if result is not None else getattr(item, "message", "not run")
                outcome.failures[f"{dashboard.dashboard_id}/{item.title}"] = message
        page = render(dashboard, widget_results, as_of, generated_at)
        for path in dashboard_paths(dashboard, root):
            _write(path, page)
            keep.add(path.resolve())
            outcome.written.append(path)
        outcome.dashboards += 1
    outcome.removed = _remove_stale(root, keep)
    return outcome
