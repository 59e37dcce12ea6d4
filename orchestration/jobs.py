import dagster as dg

# Everything that is not partitioned: extraction and the dbt graph (reports have their own partitioned jobs).
warehouse_job = dg.define_asset_job(
    "chordme_warehouse",
    selection=dg.AssetSelection.groups("raw", "staging", "intermediate", "marts", "quarantine"),
    description="Extract the ChordMe source into raw, then dbt build staging, intermediate, marts and quarantine.",
)
