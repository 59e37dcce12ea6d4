"""Opening the warehouse waits out another process's DuckDB file lock, and only that."""

import logging
import select
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from chordme_bi.settings import Settings
from chordme_bi.warehouse import WarehouseLockTimeout, connect_writer, read_only

HOLDER = textwrap.dedent("""
    import sys, time
    import duckdb
    con = duckdb.connect(sys.argv[1])  # read-write: no other process may open the file now
    print("ready", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
""")


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 42 AS answer")
    return path


@pytest.fixture
def hold_lock() -> Iterator[Callable[[Path, float], subprocess.Popen]]:
    """Start a second process that holds the file read-write for ``seconds``; returns once it holds it."""
    started: list[subprocess.Popen] = []

    def start(path: Path, seconds: float) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(proc)
        readable, _, _ = select.select([proc.stdout], [], [], 30)
        ready = bool(readable) and proc.stdout.readline().strip() == "ready"
        assert ready, proc.stderr.read() if proc.poll() is not None else "the holder did not start within 30 s"
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_reader_waits_for_the_writer_to_let_go(warehouse, hold_lock, caplog):
    hold_lock(warehouse, 1.5)
    with pytest.raises(duckdb.IOException, match="Conflicting lock"):  # what the wait is for
        duckdb.connect(str(warehouse), read_only=True)
    caplog.set_level(logging.INFO, logger="chordme_bi.warehouse")
    began = time.monotonic()
    with read_only(warehouse, lock_timeout=30) as con:
        waited = time.monotonic() - began
        assert con.execute("SELECT answer FROM t").fetchall() == [(42,)]
    assert waited >= 1.0
    waits = [r for r in caplog.records if "locked by another process" in r.getMessage()]
    assert len(waits) == 1 and waits[0].levelno == logging.INFO  # once per wait, not once per retry


def test_gives_up_at_the_deadline_naming_the_file_and_the_setting(warehouse, hold_lock, monkeypatch):
    hold_lock(warehouse, 3)
    monkeypatch.setenv("BI_WAREHOUSE_LOCK_TIMEOUT_SECONDS", "0.5")  # the default comes from Settings
    began = time.monotonic()
    with pytest.raises(WarehouseLockTimeout) as raised:
        with read_only(warehouse):
            pass
    assert 0.5 <= time.monotonic() - began < 2.5
    message = str(raised.value)
    assert str(warehouse) in message and "BI_WAREHOUSE_LOCK_TIMEOUT_SECONDS" in message
    assert "another process holds the DuckDB write lock" in message and "0.5 s" in message
    assert isinstance(raised.value.__cause__, duckdb.IOException)

    began = time.monotonic()
    with pytest.raises(WarehouseLockTimeout, match="BI_WAREHOUSE_LOCK_TIMEOUT_SECONDS"):
        connect_writer(warehouse, lock_timeout=0.3)  # the writer waits the same way
    assert 0.3 <= time.monotonic() - began < 2.3


def test_other_errors_are_raised_at_once(tmp_path):
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"not a database" * 1000)
    for path, reason in ((tmp_path / "missing" / "warehouse.duckdb", "does not exist"), (corrupt, "not a valid")):
        began = time.monotonic()
        with pytest.raises(duckdb.IOException, match=reason):
            with read_only(path, lock_timeout=30):
                pass
        assert time.monotonic() - began < 1.0


def test_lock_timeout_setting():
    assert Settings.from_env({}).warehouse_lock_timeout_seconds == 300.0
    assert Settings.from_env({"BI_WAREHOUSE_LOCK_TIMEOUT_SECONDS": "12.5"}).warehouse_lock_timeout_seconds == 12.5
