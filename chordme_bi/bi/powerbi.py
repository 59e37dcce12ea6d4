"""Power BI: push marts into a push dataset through the REST API, or trigger a refresh of an import model.

Push, per mart (one table of the connection's dataset):
1. snapshot the mart to newline-delimited JSON with DuckDB (types already in Power BI's JSON shapes; no
   Python row objects), and hash it;
2. ensure the dataset exists (``defaultMode: Push``) and the table has the mart's schema (PUT tables/{name});
3. replace the rows: DELETE rows, then POST them in batches of at most 10,000 rows, at most 5 in flight and at
   most 120 POSTs per minute per dataset (``SlidingWindowLimiter``), honouring 429 Retry-After and backing off
   on 5xx;
4. record every acknowledged batch in a checkpoint file. A run that fails part-way resumes from the checkpoint
   when the mart has not changed (same snapshot hash): acknowledged batches are not posted again, so rows are
   never duplicated. If a POST may have reached the service without an answer (read timeout), the checkpoint is
   marked ``restart`` and the next run replaces the table from scratch instead of guessing.

Refresh: POST /datasets/{id}/refreshes for an import-mode model that reads the marts itself.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from chordme_bi.bi.config import PowerBIConnection
from chordme_bi.bi.marts import Column, columns, quote
from chordme_bi.bi.ratelimit import SlidingWindowLimiter
from chordme_bi.warehouse import read_only

MAX_ROWS_PER_POST = 10_000
POSTS_PER_MINUTE = 120
MAX_PENDING_POSTS = 5
MAX_ROWS_PER_TABLE = 5_000_000  # 'None' retention policy
LARGE_TABLE_ROWS = 250_000  # from here the service allows 120 POST rows per hour, not per minute
ROWS_PER_HOUR = 1_000_000
SCOPE = "https://analysis.windows.net/powerbi/api/.default"


class PowerBIError(RuntimeError):
    pass


class MissingCredentialsError(PowerBIError):
    pass


class AmbiguousWriteError(PowerBIError):
    """A POST rows request may or may not have been applied (no answer): only a full replace is safe."""


# --- types ---------------------------------------------------------------------------------------------------

def pbi_type(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT"):
        return "Int64"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "Double"
    if t.startswith("DECIMAL"):
        return "Decimal"
    if t == "BOOLEAN":
        return "Boolean"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "DateTime"
    return "String"


def json_expression(column: Column) -> str:
    """SELECT expression producing the JSON value Power BI expects for ``column`` (timestamps as ISO 8601)."""
    name, t = quote(column.name), column.type.upper()
    kind = pbi_type(t)
    if t == "DATE":
        return f"strftime({name}, '%Y-%m-%d') AS {name}"
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):  # the session is in UTC (read_only sets it)
        return f"strftime({name}, '%Y-%m-%dT%H:%M:%S.%fZ') AS {name}"
    if kind == "DateTime":
        return f"strftime(CAST({name} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%f') AS {name}"
    if kind == "Int64":
        return f"CAST({name} AS BIGINT) AS {name}"
    if kind == "Double":  # JSON has no NaN/Infinity
        return f"CASE WHEN isfinite({name}) THEN CAST({name} AS DOUBLE) END AS {name}"
    if kind in ("Decimal", "Boolean") or t == "VARCHAR":
        return name
    return f"CAST({name} AS VARCHAR) AS {name}"


@dataclass(frozen=True)
class Snapshot:
    mart: str
    path: Path
    rows: int
    sha256: str
    schema: list[dict]  # [{"name", "dataType"}]


def snapshot_mart(warehouse_path: Path | str, mart: str, path: Path) -> Snapshot:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with read_only(warehouse_path) as con:
        cols = columns(con, mart)
        select = f"SELECT {', '.join(json_expression(c) for c in cols)} FROM marts.{quote(mart)}"
        literal = "'" + str(tmp).replace("'", "''") + "'"
        con.execute(f"COPY ({select}) TO {literal} (FORMAT json)").fetchall()
    os.replace(tmp, path)
    digest, rows = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for line in fh:
            digest.update(line)
            rows += 1
    schema = [{"name": c.name, "dataType": pbi_type(c.type)} for c in cols]
    digest.update(json.dumps(schema).encode())  # a schema change is a change even with the same values
    return Snapshot(mart, path, rows, digest.hexdigest(), schema)


def batches(path: Path, batch_rows: int) -> Iterator[tuple[int, list[bytes]]]:
    with open(path, "rb") as fh:
        index, lines = 0, []
        for line in fh:
            lines.append(line.rstrip(b"\n"))
            if len(lines) == batch_rows:
                yield index, lines
                index, lines = index + 1, []
        if lines:
            yield index, lines


# --- auth ----------------------------------------------------------------------------------------------------

class MsalTokenProvider:
    """Client-credentials token from Azure AD, held until a minute before it expires.

    ``app_factory`` builds the msal application (tests pass a fake; production uses
    ``msal.ConfidentialClientApplication``). The secret is read from the environment here and kept only inside
    the msal object.
    """

    def __init__(self, connection: PowerBIConnection, app_factory: Callable | None = None,
                 clock: Callable[[], float] = time.time):
        missing = connection.missing_env()
        if missing:
            raise MissingCredentialsError(f"connection {connection.name!r}: {', '.join(missing)} not set")
        auth = connection.auth
        self.connection = connection
        self.clock = clock
        authority = f"{auth.authority_host.rstrip('/')}/{os.environ[auth.tenant_id_env]}"
        if app_factory is None:
            import msal

            def app_factory(client_id, client_credential, authority):
                return msal.ConfidentialClientApplication(client_id, client_credential=client_credential,
                                                          authority=authority)
        self._app = app_factory(os.environ[auth.client_id_env], client_credential=os.environ[auth.client_secret_env],
                                authority=authority)
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.acquired = 0

    def __call__(self, force: bool = False) -> str:
        with self._lock:
            if force or self._token is None or self.clock() >= self._expires_at:
                result = self._app.acquire_token_for_client(scopes=[SCOPE])
                if "access_token" not in result:
                    auth = self.connection.auth
                    raise PowerBIError(
                        f"connection {self.connection.name!r}: Azure AD refused the client credentials "
                        f"({result.get('error', 'unknown error')}): check {auth.tenant_id_env}, {auth.client_id_env}, "
                        f"{auth.client_secret_env}. {str(result.get('error_description', ''))[:200]}"
                    )
                self._token = result["access_token"]
                self._expires_at = self.clock() + max(int(result.get("expires_in", 3600)) - 60, 0)
                self.acquired += 1
            return self._token


# --- REST client ---------------------------------------------------------------------------------------------

@dataclass
class ClientStats:
    requests: int = 0
    post_rows: int = 0
    throttled: int = 0  # 429s received
    retried: int = 0  # 5xx / connection errors retried


class PowerBIClient:
    def __init__(self, endpoint: str, token_provider: Callable[..., str], workspace_id: str | None = None, *,
                 session=None, max_attempts: int = 5, max_throttled: int = 50, backoff_base: float = 1.0,
                 timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, name: str = "powerbi"):
        import requests

        self.base = endpoint.rstrip("/") + (f"/groups/{workspace_id}" if workspace_id else "")
        self.token_provider = token_provider
        self.session = session or requests.Session()
        self.max_attempts, self.max_throttled = max_attempts, max_throttled
        self.backoff_base, self.timeout = backoff_base, timeout
        self.sleep, self.clock = sleep, clock
        self.name = name
        self.stats = ClientStats()
        self._stats_lock = threading.Lock()

    def _count(self, **deltas: int) -> None:
        with self._stats_lock:
            for key, value in deltas.items():
                setattr(self.stats, key, getattr(self.stats, key) + value)

    def _retry_after(self, response) -> float:
        value = response.headers.get("Retry-After", "")
        try:
            return max(float(value), 0.0)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            return max(parsed.timestamp() - time.time(), 0.0) if parsed else 1.0

    def request(self, method: str, path: str, *, body: bytes | None = None, limiter: SlidingWindowLimiter | None = None,
                ok: tuple[int, ...] = (200, 201, 202), allow_404: bool = False):
        import requests

        url = self.base + path
        attempts = throttled = 0
        reauthenticated = False
        while True:
            if limiter is not None:
                limiter.wait_turn()
            headers = {"Authorization": f"Bearer {self.token_provider()}", "Content-Type": "application/json"}
            self._count(requests=1, post_rows=1 if limiter is not None else 0)
            try:
                response = self.session.request(method, url, data=body, headers=headers, timeout=self.timeout)
            except requests.exceptions.ReadTimeout as exc:
                if method == "POST" and path.endswith("/rows"):
                    raise AmbiguousWriteError(f"{self.name}: {method} {path}: no answer in {self.timeout}s; the rows "
                                              f"may have been added") from exc
                error = f"timed out after {self.timeout}s"
            except requests.exceptions.ConnectionError as exc:
                error = f"cannot connect to {self.base}: {str(exc)[:200]}"
            else:
                if response.status_code in ok or (allow_404 and response.status_code == 404):
                    return response
                if response.status_code == 429:
                    throttled += 1
                    self._count(throttled=1)
                    if throttled > self.max_throttled:
                        raise PowerBIError(f"{self.name}: {method} {path}: still throttled (429) after {throttled} waits")
                    delay = self._retry_after(response)
                    if limiter is not None:
                        limiter.pause_until(limiter.clock() + delay)
                    else:
                        self.sleep(delay)
                    continue
                if response.status_code == 401 and not reauthenticated:  # token expired early: renew once
                    reauthenticated = True
                    self.token_provider(force=True)
                    continue
                if response.status_code < 500:
                    raise PowerBIError(self._client_error(method, path, response))
                error = f"server error {response.status_code}: {response.text[:200]}"
            attempts += 1
            if attempts >= self.max_attempts:
                raise PowerBIError(f"{self.name}: {method} {path}: {error} (gave up after {attempts} attempts)")
            self._count(retried=1)
            self.sleep(min(self.backoff_base * 2 ** (attempts - 1), 60.0) * (0.5 + random.random() / 2))

    def _client_error(self, method: str, path: str, response) -> str:
        hint = {
            401: "unauthorized: the token was rejected (check the app registration and tenant)",
            403: "forbidden: the service principal needs access to the workspace and the tenant setting that lets "
                 "service principals use Power BI APIs",
            404: "not found (check workspace_id / dataset id)",
        }.get(response.status_code, "rejected")
        return f"{self.name}: {method} {path}: {response.status_code} {hint}: {response.text[:300]}"

    # endpoints
    def find_dataset(self, name: str) -> str | None:
        for item in self.request("GET", "/datasets").json().get("value", []):
            if item.get("name") == name:
                return item["id"]
        return None

    def create_push_dataset(self, name: str, tables: list[dict]) -> str:
        body = json.dumps({"name": name, "defaultMode": "Push", "tables": tables}).encode()
        return self.request("POST", "/datasets?defaultRetentionPolicy=None", body=body).json()["id"]

    def put_table(self, dataset_id: str, table: dict) -> None:
        self.request("PUT", f"/datasets/{dataset_id}/tables/{table['name']}", body=json.dumps(table).encode())

    def delete_rows(self, dataset_id: str, table: str) -> None:
        self.request("DELETE", f"/datasets/{dataset_id}/tables/{table}/rows")

    def post_rows(self, dataset_id: str, table: str, lines: list[bytes], limiter: SlidingWindowLimiter) -> None:
        if len(lines) > MAX_ROWS_PER_POST:
            raise ValueError(f"{len(lines)} rows in one POST; the limit is {MAX_ROWS_PER_POST}")
        body = b'{"rows":[' + b",".join(lines) + b"]}"
        self.request("POST", f"/datasets/{dataset_id}/tables/{table}/rows", body=body, limiter=limiter)

    def refresh(self, dataset_id: str) -> None:
        self.request("POST", f"/datasets/{dataset_id}/refreshes", body=b'{"notifyOption":"NoNotification"}')


# --- checkpointed replace ------------------------------------------------------------------------------------

@dataclass
class Checkpoint:
    dataset_id: str
    table: str
    run_id: str
    sha256: str
    rows: int
    batch_rows: int
    state: str = "pushing"  # pushing | complete | restart
    acked: list[int] = field(default_factory=list)
    rows_acked: int = 0

    @classmethod
    def load(cls, path: Path) -> "Checkpoint | None":
        try:
            return cls(**json.loads(path.read_text()))
        except (FileNotFoundError, ValueError, TypeError):
            return None  # no or unreadable checkpoint: a full replace is always safe

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        os.replace(tmp, path)


@dataclass(frozen=True)
class PushResult:
    table: str
    dataset_id: str
    rows: int
    batches_posted: int
    batches_skipped: int  # acknowledged by an earlier, interrupted run
    outcome: str  # replaced | resumed | unchanged


def push_snapshot(client: PowerBIClient, dataset_id: str, snapshot: Snapshot, checkpoint_path: Path, run_id: str,
                  limiter: SlidingWindowLimiter, batch_rows: int = MAX_ROWS_PER_POST) -> PushResult:
    """Replace the table's rows with the snapshot, resuming an interrupted replace of the same data."""
    if not 1 <= batch_rows <= MAX_ROWS_PER_POST:
        raise ValueError(f"batch_rows must be 1..{MAX_ROWS_PER_POST}, got {batch_rows}")
    table = snapshot.mart
    previous = Checkpoint.load(checkpoint_path)
    same = (previous is not None and previous.dataset_id == dataset_id and previous.table == table
            and previous.sha256 == snapshot.sha256 and previous.batch_rows == batch_rows)
    if same and previous.state == "complete":
        return PushResult(table, dataset_id, snapshot.rows, 0, 0, "unchanged")
    if same and previous.state == "pushing":
        checkpoint, outcome = previous, "resumed"
        checkpoint.run_id = run_id
    else:
        checkpoint = Checkpoint(dataset_id, table, run_id, snapshot.sha256, snapshot.rows, batch_rows)
        checkpoint.save(checkpoint_path)  # before the DELETE: a crash after it is resumable as 'pushing'
        client.delete_rows(dataset_id, table)
        outcome = "replaced"
    skipped = len(checkpoint.acked)
    acked = set(checkpoint.acked)
    lock = threading.Lock()
    errors: list[BaseException] = []
    posted = 0

    def send(index: int, lines: list[bytes]) -> None:
        nonlocal posted
        try:
            client.post_rows(dataset_id, table, lines, limiter)
            with lock:
                acked.add(index)
                posted += 1
                checkpoint.acked = sorted(acked)
                checkpoint.rows_acked += len(lines)
                checkpoint.save(checkpoint_path)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            with lock:
                errors.append(exc)
                if isinstance(exc, AmbiguousWriteError):
                    checkpoint.state = "restart"
                    checkpoint.save(checkpoint_path)
        finally:
            limiter.release_slot()

    with ThreadPoolExecutor(max_workers=limiter.max_pending, thread_name_prefix="powerbi-post") as pool:
        futures = []
        for index, lines in batches(snapshot.path, batch_rows):
            if index in acked:
                continue
            limiter.acquire_slot()  # at most max_pending POSTs in flight; released by send()
            if errors:
                limiter.release_slot()
                break
            futures.append(pool.submit(send, index, lines))
        wait(futures)
    if errors:
        raise errors[0]
    checkpoint.state = "complete"
    checkpoint.save(checkpoint_path)
    return PushResult(table, dataset_id, snapshot.rows, posted, skipped, outcome)


def limiter_for(rows_per_table: list[int], batch_rows: int = MAX_ROWS_PER_POST, **kwargs) -> SlidingWindowLimiter:
    """The service's limits for a dataset: per minute, or per hour once a table reaches 250,000 rows."""
    if rows_per_table and max(rows_per_table) >= LARGE_TABLE_ROWS:
        return SlidingWindowLimiter(max_requests=min(POSTS_PER_MINUTE, ROWS_PER_HOUR // batch_rows),
                                    window_seconds=3600.0, max_pending=MAX_PENDING_POSTS, **kwargs)
    return SlidingWindowLimiter(POSTS_PER_MINUTE, 60.0, MAX_PENDING_POSTS, **kwargs)


def _locked(path: Path):
    """An exclusive lock file: two processes must not both create the dataset (it would exist twice)."""
    import fcntl
    from contextlib import contextmanager

    @contextmanager
    def hold():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    return hold()


def ensure_dataset(client: PowerBIClient, name: str, tables: list[dict], lock_path: Path) -> str:
    with _locked(lock_path):
        dataset_id = client.find_dataset(name)
        if dataset_id is None:
            return client.create_push_dataset(name, tables)
    for table in tables:  # keeps the schema in step with the marts (a new column appears after dbt changes)
        client.put_table(dataset_id, table)
    return dataset_id


def push_marts(warehouse_path: Path | str, connection: PowerBIConnection, marts: list[str], state_dir: Path,
               run_id: str, client: PowerBIClient, limiter: SlidingWindowLimiter | None = None,
               batch_rows: int = MAX_ROWS_PER_POST) -> list[PushResult]:
    """Push each mart into the connection's dataset; ``state_dir`` keeps snapshots and checkpoints."""
    snapshots = [snapshot_mart(warehouse_path, mart, state_dir / f"{mart}.ndjson") for mart in marts]
    for snap in snapshots:
        if snap.rows > MAX_ROWS_PER_TABLE:
            raise PowerBIError(f"connection {connection.name!r}: mart {snap.mart} has {snap.rows:,} rows; a push "
                               f"dataset table holds at most {MAX_ROWS_PER_TABLE:,} (use mode: refresh)")
    tables = [{"name": s.mart, "columns": s.schema} for s in snapshots]
    dataset_id = ensure_dataset(client, connection.dataset, tables, state_dir / ".dataset.lock")
    limiter = limiter or limiter_for([s.rows for s in snapshots], batch_rows)
    results = []
    for snap in snapshots:
        results.append(push_snapshot(client, dataset_id, snap, state_dir / f"{snap.mart}.checkpoint.json", run_id,
                                     limiter, batch_rows))
        snap.path.unlink(missing_ok=True)  # the checkpoint keeps its hash; the rows are in Power BI now
    return results


def client_for(connection: PowerBIConnection, token_provider: Callable[..., str] | None = None, **kwargs) -> PowerBIClient:
    return PowerBIClient(connection.endpoint, token_provider or MsalTokenProvider(connection), connection.workspace_id,
                         name=f"connection {connection.name!r}", **kwargs)


def check(connection: PowerBIConnection, token_provider: Callable[..., str] | None = None) -> list[str]:
    """Credentials (a token), reachability and access to the workspace / dataset."""
    provider = token_provider or MsalTokenProvider(connection)
    provider()
    lines = ["Azure AD issued a token for the Power BI API"]
    client = client_for(connection, provider, max_attempts=1, timeout=15)
    if connection.mode == "refresh":
        client.request("GET", f"/datasets/{connection.refresh_dataset_id}")
        lines.append(f"dataset {connection.refresh_dataset_id} is reachable")
    else:
        found = client.find_dataset(connection.dataset)
        lines.append(f"workspace {connection.workspace_id or 'My workspace'} reachable; dataset "
                     f"{connection.dataset!r} " + (f"exists (id {found})" if found else "will be created on first sync"))
    return lines
