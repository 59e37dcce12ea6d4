"""Extraction: the ChordMe source tables land in the warehouse's raw schema (one asset per table)."""


import dagster as dg

from chordme_bi.source.tables import SOURCE_TABLES
from orchestration.resources import DUCKDB_WRITER_POOL, ChordmeBIResource

PSEUDONYM_ASSET = dg.AssetKey(["raw", "user_pseudonyms"])


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


@dg.multi_asset(
    name="extract_chordme_source",
    specs=[
        dg.AssetSpec(
            raw_key(table),
            group_name="raw",
            kinds={"duckdb", "python"},
            description=f"Source table {table}, copied incrementally into raw.{table}.",
        )
        for table in SOURCE_TABLES
    ]
    + [
        dg.AssetSpec(
            PSEUDONYM_ASSET,
            group_name="raw",
            kinds={"duckdb"},
            deps=[raw_key("users")],
            description="Keyed HMAC pseudonyms per user id (private layer; key from BI_PSEUDONYM_SECRET).",
        )
    ],
    can_subset=True,
    pool=DUCKDB_WRITER_POOL,
)
def extract_chordme_source(context: dg.AssetExecutionContext, chordme: ChordmeBIResource):
    # Lazy: the extractor pulls in SQLAlchemy, DuckDB and Arrow, which definitions load does not need.
    from chordme_bi.extract.extractor import SourceSchemaError, extract_all

    settings = chordme.settings()
    selected = {key.path[-1] for key in context.selected_asset_keys}
    tables = [t for t in SOURCE_TABLES if t in selected or (t == "users" and "user_pseudonyms" in selected)]
    try:
        results = extract_all(settings.source_url, settings.warehouse_path, tables=tables, settings=settings)
    except SourceSchemaError as exc:
        # The source broke its contract: stop before writing, and say which table and column.
        raise dg.Failure(
            description=f"ChordMe source does not match the contract: {exc}",
            metadata={"table": exc.table, "missing_columns": ", ".join(exc.missing_columns) or "(whole table)"},
        ) from exc
    for result in results:
        if result.table not in selected:
            continue
        yield dg.MaterializeResult(
            asset_key=raw_key(result.table),
            metadata={
                "dagster/row_count": dg.MetadataValue.int(result.raw_rows_total),
                "rows_read": result.rows_read,
                "rows_written": result.rows_written,
                "rows_unchanged": result.rows_unchanged,
                "rows_rejected": result.rows_rejected,
                "rows_suppressed": result.rows_suppressed,
                "mode": result.mode,
                "high_water_mark": result.high_water_mark or "",
                "seconds": result.seconds,
                "rows_per_second": round(result.rows_read / result.seconds) if result.seconds else 0,
                "extra_source_columns": ", ".join(result.extra_source_columns) or "none",
            },
        )
    if PSEUDONYM_ASSET in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=PSEUDONYM_ASSET)


defs = dg.Definitions(assets=[extract_chordme_source])
