"""Power BI client pieces without a server: type mapping, token caching, retry and throttle handling."""

import pytest

from chordme_bi.bi.config import parse_connections
from chordme_bi.bi.marts import Column
from chordme_bi.bi.powerbi import (
    MissingCredentialsError,
    MsalTokenProvider,
    PowerBIClient,
    PowerBIError,
    json_expression,
    pbi_type,
)
from chordme_bi.bi.ratelimit import SlidingWindowLimiter

ENV = {"POWERBI_TENANT_ID": "tenant-1", "POWERBI_CLIENT_ID": "client-1", "POWERBI_CLIENT_SECRET": "very-secret"}


def _connection():
    [c] = parse_connections({"connections": [{"name": "pbi", "platform": "powerbi", "data_sources": ["dim_users"]}]})
    return c


@pytest.mark.parametrize(("duckdb_type", "expected"), [
    ("BIGINT", "Int64"), ("HUGEINT", "Int64"), ("INTEGER", "Int64"), ("DOUBLE", "Double"), ("FLOAT", "Double"),
    ("DECIMAL(18,2)", "Decimal"), ("BOOLEAN", "Boolean"), ("DATE", "DateTime"), ("TIMESTAMP", "DateTime"),
    ("TIMESTAMP WITH TIME ZONE", "DateTime"), ("VARCHAR", "String"), ("UUID", "String"), ("INTERVAL", "String"),
])
def test_types_map_to_push_dataset_types(duckdb_type, expected):
    assert pbi_type(duckdb_type) == expected


def test_json_expressions_render_iso_timestamps_and_drop_non_finite_doubles():
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    cols = [Column("d", "DATE"), Column("tz", "TIMESTAMP WITH TIME ZONE"), Column("h", "HUGEINT"), Column("x", "DOUBLE")]
    select = ", ".join(json_expression(c) for c in cols)
    row = con.execute(f"""SELECT {select} FROM (SELECT DATE '2026-03-01' d, TIMESTAMPTZ '2026-03-01 10:30:00+02' tz,
                         12::HUGEINT h, 'nan'::DOUBLE x)""").fetchall()[0]
    assert row == ("2026-03-01", "2026-03-01T08:30:00.000000Z", 12, None)


class FakeApp:
    def __init__(self, results):
        self.results = list(results)
        self.calls = 0

    def acquire_token_for_client(self, scopes):
        assert scopes == ["https://analysis.windows.net/powerbi/api/.default"]
        self.calls += 1
        return self.results.pop(0)


def test_token_is_cached_until_shortly_before_expiry(monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    app = FakeApp([{"access_token": "t1", "expires_in": 3600}, {"access_token": "t2", "expires_in": 3600}])
    seen = {}

    def factory(client_id, client_credential, authority):
        seen.update(client_id=client_id, authority=authority, secret=client_credential)
        return app

    now = [1000.0]
    provider = MsalTokenProvider(_connection(), app_factory=factory, clock=lambda: now[0])
    assert seen == {"client_id": "client-1", "authority": "https://login.microsoftonline.com/tenant-1",
                    "secret": "very-secret"}
    assert provider() == "t1" and provider() == "t1" and app.calls == 1
    now[0] += 3600 - 61
    assert provider() == "t1"
    now[0] += 2  # inside the last minute: renew
    assert provider() == "t2" and app.calls == 2


def test_token_errors_name_the_variables_not_the_secret(monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    app = FakeApp([{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret"}])
    provider = MsalTokenProvider(_connection(), app_factory=lambda *a, **k: app)
    with pytest.raises(PowerBIError) as info:
        provider()
    message = str(info.value)
    assert "invalid_client" in message and "POWERBI_CLIENT_SECRET" in message and "very-secret" not in message


def test_missing_variables_are_named(monkeypatch):
    for k in ENV:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("POWERBI_TENANT_ID", "t")
    with pytest.raises(MissingCredentialsError, match="POWERBI_CLIENT_ID, POWERBI_CLIENT_SECRET not set"):
        MsalTokenProvider(_connection(), app_factory=lambda *a, **k: None)


class Response:
    def __init__(self, status, headers=None, text=""):
        self.status_code, self.headers, self.text = status, headers or {}, text

    def json(self):
        return {}


class ScriptedSession:
    def __init__(self, statuses):
        self.responses = [Response(s, {"Retry-After": "7"} if s == 429 else {}) for s in statuses]
        self.calls = 0

    def request(self, method, url, data, headers, timeout):
        self.calls += 1
        assert headers["Authorization"] == "Bearer tok"
        return self.responses.pop(0)


def _client(statuses, **kwargs):
    sleeps = []
    session = ScriptedSession(statuses)
    client = PowerBIClient("https://api.example/v1.0/myorg", lambda force=False: "tok", session=session,
                           sleep=sleeps.append, backoff_base=1.0, **kwargs)
    return client, session, sleeps


def test_429_pauses_the_limiter_by_retry_after_then_succeeds():
    now = [0.0]

    def sleep(s):
        now[0] += s

    limiter = SlidingWindowLimiter(120, 60, clock=lambda: now[0], sleep=sleep)
    client, session, _ = _client([429, 200])
    client.post_rows("ds", "t", [b'{"a":1}'], limiter)
    assert session.calls == 2 and client.stats.throttled == 1 and client.stats.post_rows == 2
    assert now[0] == pytest.approx(7.0)  # waited exactly Retry-After before the second POST


def test_5xx_backs_off_then_gives_up_with_the_status():
    client, session, sleeps = _client([500, 503, 502], max_attempts=3)
    with pytest.raises(PowerBIError, match="server error 502.*gave up after 3 attempts"):
        client.request("GET", "/datasets")
    assert session.calls == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9


def test_4xx_is_not_retried_and_explains():
    client, session, _ = _client([403])
    with pytest.raises(PowerBIError, match="403 forbidden: the service principal needs access"):
        client.request("GET", "/datasets")
    assert session.calls == 1


def test_more_than_10000_rows_is_refused_before_sending():
    client, session, _ = _client([])
    with pytest.raises(ValueError, match="10000"):
        client.post_rows("ds", "t", [b"{}"] * 10_001, SlidingWindowLimiter())
    assert session.calls == 0
