"""dbt models as Dagster assets, dbt tests as asset checks (dagster-dbt).

The manifest is prepared ahead (``make`` runs ``dbt parse``; ``dagster dev`` prepares it in dev), never
parsed at import, so loading definitions stays fast.
"""


import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import DBT_PROJECT_DIR, DUCKDB_WRITER_POOL, ChordmeBIResource

chordme_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target=os.environ.get("DBT_TARGET", "duckdb"))
chordme_dbt_project.prepare_if_dev()

LAYERS = ("staging", "intermediate", "marts", "quarantine")


class ChordmeDbtTranslator(DagsterDbtTranslator):
    """Keys by layer: raw/<table> for sources (the extractor's assets), <layer>/<model> for models."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["sources"].get(unique_id) or manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("source", "model", "seed", "snapshot"):
            return spec
        if node["resource_type"] == "source":
            return spec.replace_attributes(key=dg.AssetKey(["raw", node["name"].lstrip("_")]))
        layer = next((part for part in node["fqn"] if part in LAYERS), "dbt")
        return spec.replace_attributes(key=dg.AssetKey([layer, node["name"]]), group_name=layer)


@dbt_assets(
    manifest=chordme_dbt_project.manifest_path,
    project=chordme_dbt_project,
    dagster_dbt_translator=ChordmeDbtTranslator(),
    pool=DUCKDB_WRITER_POOL,
)
def chordme_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, chordme: ChordmeBIResource):
    from chordme_bi.warehouse import read_only, relation_stats  # DuckDB, only when the asset runs

    settings = chordme.settings()
    # dbt reads the warehouse path from its environment (profiles.yml); the subprocess starts inside cli().
    with environment(
        BI_WAREHOUSE_PATH=str(Path(settings.warehouse_path).resolve()), BI_DUCKDB_MEMORY_LIMIT=settings.duckdb_memory_limit
    ):
        invocation = dbt.cli(["build"], context=context)
    events = list(invocation.stream())
    nodes = invocation.get_artifact("manifest.json")["nodes"]
    # DuckDB has one writer: the dbt process holds the file until it exits, so row counts and previews are
    # read afterwards through one short read-only connection.
    with read_only(settings.warehouse_path) as con:
        for event in events:
            node = nodes.get(str(event.metadata["unique_id"].value)) if isinstance(event, dg.Output) else None
            # Views are left alone: counting one re-runs its query (the validation views window over history).
            if node is not None and node.get("relation_name") and node["config"]["materialized"] in ("table", "incremental"):
                schema, name = _schema_and_name(node["relation_name"])
                rows, preview = relation_stats(con, schema, name)
                event = event.with_metadata(
                    {**event.metadata, "dagster/row_count": dg.MetadataValue.int(rows), "preview": dg.MetadataValue.md(preview)}
                )
            yield event


@contextmanager
def environment(**variables: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _schema_and_name(relation_name: str) -> tuple[str, str]:
    parts = [p.strip('"') for p in relation_name.split(".")]
    return parts[-2], parts[-1]


defs = dg.Definitions(assets=[chordme_dbt_models])
