"""Tableau: .hyper extracts of the marts read back through the Hyper API and compared with DuckDB; publishing
against a local fake of the REST API (sign-in, server info, projects, single and chunked publish)."""

import socket
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from bi_fakes import FakeTableau
from chordme_bi.bi.config import MAIN_MARTS, parse_connections
from chordme_bi.bi.hyper import hyper_process, write_hyper_extracts
from chordme_bi.bi.marts import columns
from chordme_bi.bi.tableau import MissingCredentialsError, TableauError, TableauPublisher, check

NUMERIC = ("BIGINT", "INTEGER", "HUGEINT", "DOUBLE", "FLOAT", "SMALLINT")


@pytest.fixture(scope="module")
def extracts(built_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("hyper")
    return {r.mart: r for r in write_hyper_extracts(built_warehouse.warehouse_path, list(MAIN_MARTS), out)}


def _hyper_query(path: Path, sql: str):
    from tableauhyperapi import Connection

    with hyper_process(path.parent / "logs") as process, Connection(process.endpoint, str(path)) as con:
        return con.execute_list_query(sql)


def test_every_main_mart_matches_duckdb_in_rows_sums_and_nulls(built_warehouse, extracts):
    assert set(extracts) == set(MAIN_MARTS)
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        for mart, result in extracts.items():
            cols = columns(con, mart)
            numeric = [c.name for c in cols if c.type.upper() in NUMERIC or c.type.upper().startswith("DECIMAL")]
            aggregates = ["count(*)"] + [f'sum("{n}")' for n in numeric] + [f'count("{c.name}")' for c in cols]
            expected = con.execute(f"SELECT {', '.join(aggregates)} FROM marts.{mart}").fetchall()[0]
            got = _hyper_query(result.path, f'SELECT {", ".join(aggregates)} FROM "Extract"."{mart}"')[0]
            assert result.rows == expected[0] > 0, mart
            for name, want, have in zip(["rows"] + numeric + [f"non-null {c.name}" for c in cols], expected, got):
                if isinstance(want, float) or isinstance(have, float):
                    assert float(have) == pytest.approx(float(want), rel=1e-9), (mart, name)
                else:
                    assert int(have) == int(want), (mart, name)


def test_types_are_faithful(built_warehouse, extracts):
    types = extracts["fct_sessions"].columns
    assert types["started_at"] == "TIMESTAMP_TZ" and types["session_date"] == "DATE"
    assert types["is_open"] == "BOOL" and types["session_id"] == "BIG_INT"
    assert types["completion_percentage"] == "DOUBLE"
    assert extracts["agg_platform_daily"].columns["practice_seconds"] == "BIG_INT"  # HUGEINT sum
    assert extracts["fct_goal_progress"].columns["pct_of_target"] == "NUMERIC(18, 2)"
    assert extracts["fct_goal_progress"].columns["target_value"] == "DOUBLE"  # FLOAT widened exactly
    assert extracts["dim_users"].columns["created_at"] == "TIMESTAMP"

    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        sid, started, date, is_open = con.execute(
            "SELECT session_id, started_at, session_date, is_open FROM marts.fct_sessions ORDER BY session_id LIMIT 1"
        ).fetchall()[0]
        gid, pct = con.execute("SELECT goal_id, pct_of_target FROM marts.fct_goal_progress "
                               "WHERE pct_of_target IS NOT NULL ORDER BY goal_id LIMIT 1").fetchall()[0]
    row = _hyper_query(extracts["fct_sessions"].path, 'SELECT started_at, session_date, is_open FROM '
                       f'"Extract"."fct_sessions" WHERE session_id = {sid}')[0]
    assert row[0].to_datetime() == started and row[1].to_date() == date and row[2] == is_open
    [[hyper_pct]] = _hyper_query(extracts["fct_goal_progress"].path,
                                 f'SELECT pct_of_target FROM "Extract"."fct_goal_progress" WHERE goal_id = {gid}')
    assert isinstance(hyper_pct, Decimal) and hyper_pct == pct


def test_no_temporary_files_are_left(extracts):
    directory = next(iter(extracts.values())).path.parent
    assert sorted(p.name for p in directory.iterdir() if p.is_file()) == sorted(f"{m}.hyper" for m in MAIN_MARTS)


def _connection(url, project="ChordMe", **extra):
    [c] = parse_connections({"connections": [{"name": "school", "platform": "tableau", "endpoint": url,
                                              "project": project, "data_sources": ["dim_users"], **extra}]})
    return c


@pytest.fixture
def tableau_env(monkeypatch):
    monkeypatch.setenv("TABLEAU_TOKEN_NAME", "chordme-ci")
    monkeypatch.setenv("TABLEAU_TOKEN_SECRET", "s3cret")


def test_single_request_publish_overwrites_with_the_exact_file(extracts, tableau_env):
    path = extracts["dim_users"].path
    with FakeTableau() as fake, TableauPublisher(_connection(fake.url)) as publisher:
        result = publisher.publish(path, "dim_users")
        assert publisher.server_version == "3.22"  # negotiated through GET serverinfo
    [published] = fake.published
    assert published["content"] == path.read_bytes() and published["chunks"] == 0
    assert published["name"] == "dim_users" and published["project_id"] == "proj-1"
    assert published["query"] == {"datasourceType": "hyper", "overwrite": "true"}
    assert result.datasource_id == "ds-1" and not result.chunked
    assert any(p.endswith("/projects?filter=name:eq:ChordMe") or "filter=name%3Aeq%3AChordMe" in p or
               "filter=name:eq:ChordMe" in p for _, p in fake.requests)


def test_large_file_goes_through_the_chunked_upload(tmp_path, tableau_env, monkeypatch):
    # A 3+ MB extract, chunked at 1 MB: TSC reads both thresholds from the environment at call time.
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.big AS SELECT i AS id, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS noise "
                    "FROM range(120000) t(i)")
    [result] = write_hyper_extracts(warehouse, ["big"], tmp_path / "out")
    assert result.bytes > 3 * 1024 * 1024
    monkeypatch.setenv("TSC_FILESIZE_LIMIT_MB", "1")
    monkeypatch.setenv("TSC_CHUNK_SIZE_MB", "1")
    with FakeTableau() as fake, TableauPublisher(_connection(fake.url)) as publisher:
        published_item = publisher.publish(result.path, "big")
    [published] = fake.published
    assert published_item.chunked
    assert published["chunks"] == -(-result.bytes // (1024 * 1024)) >= 4
    assert published["content"] == result.path.read_bytes()
    assert published["query"]["uploadSessionId"] == "upload-1" and published["query"]["overwrite"] == "true"
    assert published["query"]["datasourceType"] == "hyper"


def test_wrong_token_is_a_clear_401(tableau_env, monkeypatch):
    monkeypatch.setenv("TABLEAU_TOKEN_SECRET", "wrong")
    with FakeTableau() as fake:
        with pytest.raises(TableauError) as info:
            check(_connection(fake.url))
    message = str(info.value)
    assert "sign-in rejected (401)" in message and "TABLEAU_TOKEN_SECRET" in message and "wrong" not in message


def test_missing_project_and_missing_variables_and_refused_connection(tableau_env, monkeypatch):
    with FakeTableau() as fake:
        assert check(_connection(fake.url))[1].startswith("project 'ChordMe' found")
        with pytest.raises(TableauError, match="project 'Sales' not found on site '\\(default\\)'"):
            check(_connection(fake.url, project="Sales"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(TableauError, match="connection refused"):
        check(_connection(f"http://127.0.0.1:{closed_port}"))
    monkeypatch.delenv("TABLEAU_TOKEN_NAME")
    with pytest.raises(MissingCredentialsError, match="TABLEAU_TOKEN_NAME not set"):
        check(_connection("http://127.0.0.1:9"))
