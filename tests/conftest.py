"""Shared fixtures: a small generated source and a warehouse built from it, once per test session."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from chordme_bi.settings import Settings

# Fixed so that every run of the suite sees the same data (the generator is deterministic per seed and end).
FIXTURE_END = date(2026, 10, 31)
FIXTURE_SESSIONS = 4000
FIXTURE_SEED = 7


def _generate(url: str, **kwargs) -> dict[str, int]:
    from chordme_bi.source.generator import generate

    return generate(url, sessions=kwargs.pop("sessions", FIXTURE_SESSIONS), seed=kwargs.pop("seed", FIXTURE_SEED),
                    end=kwargs.pop("end", FIXTURE_END), **kwargs)


@pytest.fixture(scope="session")
def source_db(tmp_path_factory) -> Path:
    """A generated SQLite ChordMe source (read it, do not modify it: it is shared)."""
    path = tmp_path_factory.mktemp("source") / "chordme.db"
    _generate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory, source_db) -> Settings:
    """Settings of a warehouse extracted from ``source_db`` and built by ``dbt build`` (treat as read-only)."""
    from chordme_bi.dbt_runner import run_dbt
    from chordme_bi.extract.extractor import extract_all

    data_dir = tmp_path_factory.mktemp("warehouse")
    settings = Settings(data_dir=data_dir, source_url=f"sqlite:///{source_db}")
    extract_all(settings.source_url, settings.warehouse_path, settings=settings)
    run_dbt(["build"], settings.warehouse_path)
    return settings


@pytest.fixture
def make_source(tmp_path):
    """Factory: a fresh generated SQLite source that the test may modify."""

    def make(**kwargs) -> Path:
        path = tmp_path / f"source-{uuid.uuid4().hex[:8]}.db"
        _generate(f"sqlite:///{path}", **kwargs)
        return path

    return make


PG_DSN = os.environ.get("BI_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI but not reachable: {reason}")
    pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {reason}")


@contextmanager
def _temporary_database():
    import psycopg2

    try:
        admin = psycopg2.connect(PG_DSN, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        _postgres_unavailable(str(exc).strip())
    admin.autocommit = True
    name = f"chordme_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database (dropped afterwards); skips outside CI when there is no server."""
    with _temporary_database() as url:
        yield url
