"""External BI exports: one asset per connection x mart (``exports/<connection>/<mart>``, downstream of
``marts/<mart>``), declared in ``bi_connections.yaml`` and read here when the definitions load (a small file).

Each connection is one multi-asset (subsettable) because its marts share a session: one Hyper process and one
Tableau sign-in, one Power BI dataset and rate limit, one files manifest and webhook. The work is in
``chordme_bi.bi.sync``; this module only wires it. Jobs: ``bi_exports`` (everything, run by `make run`), one
``bi_sync_<frequency>`` job and schedule per sync frequency in use, and ``bi_test_connections``.
"""

import dagster as dg

from chordme_bi.bi.config import Connection, load_connections
from chordme_bi.settings import Settings
from orchestration.resources import ChordmeBIResource

MAKE_RUN_TAGS = {"chordme/make_run": "true"}
# After the nightly warehouse refresh (02:00 UTC), so daily and weekly syncs carry that night's marts.
CRON = {"hourly": "20 * * * *", "daily": "30 3 * * *", "weekly": "0 4 * * 1"}


def _key(connection: Connection, mart: str) -> dg.AssetKey:
    return dg.AssetKey(["exports", connection.name, mart])


def _metadata(values: dict) -> dict:
    out = {}
    for name, value in values.items():
        if isinstance(value, (dict, list)):
            out[name] = dg.MetadataValue.json(value)
        elif name in ("path", "manifest"):
            out[name] = dg.MetadataValue.path(value)
        else:
            out[name] = value
    return out


def connection_assets(connection: Connection) -> dg.AssetsDefinition:
    what = {"tableau": ".hyper extract published to Tableau", "powerbi": f"Power BI {getattr(connection, 'mode', '')}",
            "files": "open files + manifest", "webhook": "open files + manifest, signed webhook"}[connection.platform]
    specs = [
        dg.AssetSpec(
            key=_key(connection, mart),
            deps=[dg.AssetKey(["marts", mart])],
            group_name="exports",
            kinds={connection.platform} if connection.platform in ("tableau", "powerbi") else {"parquet"},
            description=f"marts.{mart} for connection {connection.name!r}: {what}.",
            tags={"chordme/sync_frequency": connection.sync_frequency},
        )
        for mart in connection.data_sources
    ]

    @dg.multi_asset(name=f"bi_{connection.name}", specs=specs, can_subset=True)
    def _sync(context: dg.AssetExecutionContext, chordme: ChordmeBIResource):
        from chordme_bi.bi.sync import sync_connection

        selected = context.selected_asset_keys
        marts = [m for m in connection.data_sources if _key(connection, m) in selected]
        meta = sync_connection(chordme.settings(), connection, marts, run_id=context.run_id, log=context.log.info)
        for mart in marts:
            yield dg.MaterializeResult(asset_key=_key(connection, mart), metadata=_metadata(meta[mart]))

    return _sync


@dg.op(config_schema={"names": dg.Field([str], default_value=[], description="connections to test; [] = all")})
def bi_test_connections_op(context: dg.OpExecutionContext, chordme: ChordmeBIResource) -> None:
    from chordme_bi.bi.config import find_connection
    from chordme_bi.bi.sync import check_connection

    settings = chordme.settings()
    connections = load_connections(settings.connections_file)
    names = context.op_config["names"]
    chosen = [find_connection(connections, n) for n in names] if names else connections
    failed = []
    for connection in chosen:
        ok, lines = check_connection(settings, connection)
        (context.log.info if ok else context.log.error)(f"{connection.name}: {'OK' if ok else 'FAILED'}: " + "; ".join(lines))
        if not ok:
            failed.append(f"{connection.name}: " + "; ".join(lines))
    if failed:
        raise dg.Failure(description="\n".join(failed))


@dg.job(description="Check each BI connection's reachability and credentials and say what is wrong.")
def bi_test_connections():
    bi_test_connections_op()


def build_defs() -> dg.Definitions:
    settings = Settings.from_env()
    connections = load_connections(settings.connections_file)
    test_job = bi_test_connections
    if not connections:
        return dg.Definitions(jobs=[test_job])
    assets = [connection_assets(c) for c in connections]
    all_keys = [_key(c, m) for c in connections for m in c.data_sources]
    jobs = [
        dg.define_asset_job("bi_exports", selection=dg.AssetSelection.assets(*all_keys), tags=MAKE_RUN_TAGS,
                            description="Every BI connection: write local exports, publish where credentials are set."),
        test_job,
    ]
    schedules = []
    status = (dg.DefaultScheduleStatus.RUNNING if settings.external_integrations_enabled
              else dg.DefaultScheduleStatus.STOPPED)
    for frequency, cron in CRON.items():
        keys = [_key(c, m) for c in connections if c.sync_frequency == frequency for m in c.data_sources]
        if not keys:
            continue
        job = dg.define_asset_job(f"bi_sync_{frequency}", selection=dg.AssetSelection.assets(*keys),
                                  description=f"BI connections synced {frequency}.")
        jobs.append(job)
        schedules.append(dg.ScheduleDefinition(name=f"bi_sync_{frequency}_schedule", job=job, cron_schedule=cron,
                                               execution_timezone="UTC", default_status=status))
    return dg.Definitions(assets=assets, jobs=jobs, schedules=schedules)


defs = build_defs()
