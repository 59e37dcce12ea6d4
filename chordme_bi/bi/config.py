"""External BI connections, declared in ``bi_connections.yaml`` (``BI_CONNECTIONS_FILE``).

A connection names its platform, where it goes, which environment variables hold its secrets (never the
secrets themselves), which marts it carries and how often. The file is small and read when the Dagster
definitions load (one asset per connection x mart), so validation errors must say exactly what is wrong:
every message names the connection and the field.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from chordme_bi.settings import PROJECT_ROOT

# The marts exported by default (the ones analysts open in a BI tool); the others are bridges and raw-ish facts.
MAIN_MARTS = (
    "fct_sessions",
    "agg_student_daily",
    "agg_usage_hourly",
    "agg_platform_daily",
    "agg_band_performances",
    "fct_goal_progress",
    "dim_users",
    "dim_songs",
    "dim_bands",
)
MARTS_MODEL_DIR = PROJECT_ROOT / "dbt_project" / "models" / "marts"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class ConnectionConfigError(ValueError):
    """The connections file is unreadable or invalid; the message names the connection and field."""


@lru_cache(maxsize=1)
def known_marts() -> frozenset[str]:
    """Mart model names from the dbt project's files (a glob, no dbt parse: this runs at definitions load)."""
    return frozenset(p.stem for p in MARTS_MODEL_DIR.rglob("*.sql"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _env_name(value: str) -> str:
    if not _ENV.match(value):
        raise ValueError(f"{value!r} is not an environment variable name (A-Z, 0-9, _)")
    return value


EnvName = Annotated[str, Field(min_length=1)]


class PersonalAccessTokenAuth(_Strict):
    """Tableau personal access token: the token's name and secret come from these variables."""

    type: Literal["personal_access_token"] = "personal_access_token"
    token_name_env: EnvName = "TABLEAU_TOKEN_NAME"
    token_secret_env: EnvName = "TABLEAU_TOKEN_SECRET"

    _check = field_validator("token_name_env", "token_secret_env")(_env_name)

    def env_names(self) -> tuple[str, ...]:
        return (self.token_name_env, self.token_secret_env)


class ServicePrincipalAuth(_Strict):
    """Azure AD app (client credentials) allowed to use the Power BI REST API."""

    type: Literal["service_principal"] = "service_principal"
    tenant_id_env: EnvName = "POWERBI_TENANT_ID"
    client_id_env: EnvName = "POWERBI_CLIENT_ID"
    client_secret_env: EnvName = "POWERBI_CLIENT_SECRET"
    authority_host: str = "https://login.microsoftonline.com"

    _check = field_validator("tenant_id_env", "client_id_env", "client_secret_env")(_env_name)

    def env_names(self) -> tuple[str, ...]:
        return (self.tenant_id_env, self.client_id_env, self.client_secret_env)


class WebhookTarget(_Strict):
    """Where the completion webhook goes; the body is signed with the secret in ``secret_env``."""

    url: str
    secret_env: EnvName = "BI_WEBHOOK_SECRET"

    _check = field_validator("secret_env")(_env_name)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class _Connection(_Strict):
    name: str
    description: str = ""
    data_sources: list[str] = Field(min_length=1)
    sync_frequency: Literal["hourly", "daily", "weekly"] = "daily"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r}: use lowercase letters, digits and _ (it becomes a directory and asset key)")
        return value

    @field_validator("data_sources")
    @classmethod
    def _marts(cls, value: list[str]) -> list[str]:
        marts = known_marts()
        unknown = [name for name in value if name not in marts]
        if unknown:
            raise ValueError(f"not a mart: {', '.join(unknown)} (marts: {', '.join(sorted(marts))})")
        if len(set(value)) != len(value):
            raise ValueError("a mart is listed twice")
        return value

    def env_names(self) -> tuple[str, ...]:
        return ()

    def missing_env(self, env: dict[str, str] | None = None) -> list[str]:
        """Secret-holding variables that are unset or empty (the values are never read here)."""
        env = os.environ if env is None else env
        return [name for name in self.env_names() if not env.get(name)]


def _http_url(value: str, field: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{field} {value!r} is not an http(s) URL")
    return value.rstrip("/")


class TableauConnection(_Connection):
    platform: Literal["tableau"]
    endpoint: str = Field(description="server URL, e.g. https://tableau.example.edu")
    site: str = Field(default="", description="site content URL ('' is the default site)")
    project: str = "Default"
    auth: PersonalAccessTokenAuth = PersonalAccessTokenAuth()

    _endpoint = field_validator("endpoint")(lambda v: _http_url(v, "endpoint"))

    def env_names(self) -> tuple[str, ...]:
        return self.auth.env_names()


class PowerBIConnection(_Connection):
    platform: Literal["powerbi"]
    endpoint: str = "https://api.powerbi.com/v1.0/myorg"
    workspace_id: str | None = Field(default=None, description="group id; None is 'My workspace'")
    mode: Literal["push", "refresh"] = "push"
    dataset: str = Field(default="ChordMe BI", description="push: dataset name, created when missing")
    refresh_dataset_id: str | None = Field(default=None, description="refresh: the import-mode model's id")
    auth: ServicePrincipalAuth = ServicePrincipalAuth()

    _endpoint = field_validator("endpoint")(lambda v: _http_url(v, "endpoint"))

    @model_validator(mode="after")
    def _refresh_needs_id(self) -> "PowerBIConnection":
        if self.mode == "refresh" and not self.refresh_dataset_id:
            raise ValueError("refresh_dataset_id is required when mode is 'refresh'")
        return self

    def env_names(self) -> tuple[str, ...]:
        return self.auth.env_names()


class FilesConnection(_Connection):
    """Open files (Parquet, CSV) for Looker, Qlik Sense or anything that reads files, plus a manifest."""

    platform: Literal["files"]
    formats: list[Literal["parquet", "csv"]] = Field(default_factory=lambda: ["parquet"], min_length=1)
    webhook: WebhookTarget | None = None

    def env_names(self) -> tuple[str, ...]:
        return (self.webhook.secret_env,) if self.webhook else ()


class WebhookConnection(_Connection):
    """Files as above, and a signed POST of the manifest to ``endpoint`` when they are written."""

    platform: Literal["webhook"]
    endpoint: str
    secret_env: EnvName = "BI_WEBHOOK_SECRET"
    formats: list[Literal["parquet", "csv"]] = Field(default_factory=lambda: ["parquet"], min_length=1)

    _endpoint = field_validator("endpoint")(lambda v: _http_url(v, "endpoint"))
    _secret = field_validator("secret_env")(_env_name)

    @property
    def webhook(self) -> WebhookTarget:
        return WebhookTarget(url=self.endpoint, secret_env=self.secret_env)

    def env_names(self) -> tuple[str, ...]:
        return (self.secret_env,)


Connection = Annotated[
    Union[TableauConnection, PowerBIConnection, FilesConnection, WebhookConnection], Field(discriminator="platform")
]
_CONNECTION = TypeAdapter(Connection)
PLATFORMS = ("tableau", "powerbi", "files", "webhook")


def _format_error(where: str, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"] if p not in PLATFORMS]  # drop the union tag pydantic inserts
        field = ".".join(loc) or "(connection)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "union_tag_invalid" or error["type"] == "union_tag_not_found":
            field, message = "platform", f"must be one of {', '.join(PLATFORMS)}"
        lines.append(f"{where}: field '{field}': {message}")
    return "\n".join(lines)


def parse_connections(data: object, source: str = "bi_connections.yaml") -> list[Connection]:
    """Validate the parsed YAML (``{"connections": [...]}``); errors name the connection and field."""
    if data is None:
        return []
    extra = set(data) - {"connections"} if isinstance(data, dict) else set()
    if not isinstance(data, dict) or any(not str(key).startswith("x-") for key in extra):
        raise ConnectionConfigError(f"{source}: expected a mapping with the key 'connections' "
                                    f"(and x-... keys for YAML anchors)")
    items = data.get("connections") or []
    if not isinstance(items, list):
        raise ConnectionConfigError(f"{source}: 'connections' must be a list")
    connections, errors, seen = [], [], set()
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        where = f"{source}: connection {name!r}" if name else f"{source}: connections[{index}]"
        try:
            connection = _CONNECTION.validate_python(item)
        except ValidationError as exc:
            errors.append(_format_error(where, exc))
            continue
        if connection.name in seen:
            errors.append(f"{where}: field 'name': duplicate connection name")
        seen.add(connection.name)
        connections.append(connection)
    if errors:
        raise ConnectionConfigError("\n".join(errors))
    return connections


def load_connections(path: Path | str) -> list[Connection]:
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConnectionConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_connections(data, source=str(path.name))


def find_connection(connections: list[Connection], name: str) -> Connection:
    for connection in connections:
        if connection.name == name:
            return connection
    known = ", ".join(c.name for c in connections) or "none"
    raise ConnectionConfigError(f"no connection named {name!r} (connections: {known})")
