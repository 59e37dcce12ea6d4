"""The one settings object: every knob the pipeline reads, typed, with its default here and only here.

Values come from the environment (``BI_*``, ``CHORDME_SOURCE_URL``); the defaults make the embedded
setup work with nothing set: a SQLite source and a DuckDB warehouse under ``data/``.
Secrets are never stored on this object's repr or logged: they are read on demand by name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal, Mapping

from pydantic import BaseModel, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_ENV_NAMES: dict[str, str] = {
    "source_url": "CHORDME_SOURCE_URL",
    "data_dir": "BI_DATA_DIR",
    "warehouse_path": "BI_WAREHOUSE_PATH",
    "output_dir": "BI_OUTPUT_DIR",
    "enabled": "BI_ENABLED",
    "max_concurrent_reports": "BI_MAX_CONCURRENT_REPORTS",
    "report_cache_ttl": "BI_REPORT_CACHE_TTL",
    "export_max_records": "BI_EXPORT_MAX_RECORDS",
    "scheduler_enabled": "BI_SCHEDULER_ENABLED",
    "scheduler_interval": "BI_SCHEDULER_INTERVAL",
    "external_integrations_enabled": "BI_EXTERNAL_INTEGRATIONS_ENABLED",
    "webhook_timeout": "BI_WEBHOOK_TIMEOUT",
    "data_retention_days": "BI_DATA_RETENTION_DAYS",
    "extract_batch_rows": "BI_EXTRACT_BATCH_ROWS",
    "duckdb_memory_limit": "BI_DUCKDB_MEMORY_LIMIT",
    "warehouse_lock_timeout_seconds": "BI_WAREHOUSE_LOCK_TIMEOUT_SECONDS",
    "smtp_host": "BI_SMTP_HOST",
    "smtp_port": "BI_SMTP_PORT",
    "smtp_security": "BI_SMTP_SECURITY",
    "smtp_user": "BI_SMTP_USER",
    "smtp_from": "BI_SMTP_FROM",
    "delivery_max_attempts": "BI_DELIVERY_MAX_ATTEMPTS",
    "connections_file": "BI_CONNECTIONS_FILE",
}

# Secrets are read from the environment by name when used (never stored on Settings, never logged).
SECRET_NAMES = ("BI_PSEUDONYM_SECRET", "BI_SMTP_PASSWORD", "BI_WEBHOOK_SECRET")


class Settings(BaseModel):
    """Typed view of the environment. Build it with :meth:`from_env`."""

    source_url: str = Field(default="", description="SQLAlchemy URL of the ChordMe app database")
    data_dir: Path = Field(default=PROJECT_ROOT / "data")
    warehouse_path: Path | None = Field(default=None, description="DuckDB file; default <data_dir>/warehouse.duckdb")
    output_dir: Path | None = Field(default=None, description="reports and exports; default <data_dir>/output")
    enabled: bool = True
    max_concurrent_reports: int = 5
    report_cache_ttl: int = 3600
    export_max_records: int = 10_000
    scheduler_enabled: bool = True
    scheduler_interval: int = 60
    external_integrations_enabled: bool = True
    webhook_timeout: int = 30
    data_retention_days: int = 0  # 0 keeps everything
    extract_batch_rows: int = 500_000
    # DuckDB spills past this instead of taking 80% of RAM (its default), for the extractor and dbt alike.
    duckdb_memory_limit: str = "1500MB"
    # How long opening the warehouse waits while another process holds DuckDB's file lock (a dbt build
    # takes minutes); past it the open fails with a clear error instead of hanging a run forever.
    warehouse_lock_timeout_seconds: float = 300.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str = ""
    smtp_from: str = "ChordMe BI <reports@chordme.invalid>"
    delivery_max_attempts: int = 5
    connections_file: Path = Field(default=PROJECT_ROOT / "bi_connections.yaml", description="external BI connections")

    def model_post_init(self, __context) -> None:
        self.data_dir = Path(self.data_dir)
        if self.warehouse_path is None:
            self.warehouse_path = self.data_dir / "warehouse.duckdb"
        if self.output_dir is None:
            self.output_dir = self.data_dir / "output"
        if not self.source_url:
            self.source_url = f"sqlite:///{self.data_dir / 'chordme.db'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values = {field: env[name] for field, name in _ENV_NAMES.items() if env.get(name, "") != ""}
        values.update(overrides)
        return cls(**values)

    @property
    def reports_dir(self) -> Path:
        return Path(self.output_dir) / "reports"

    @property
    def exports_dir(self) -> Path:
        return Path(self.output_dir) / "exports"

    @staticmethod
    def secret(name: str) -> str | None:
        """A secret from the environment, or None when unset."""
        return os.environ.get(name) or None

    def pseudonym_secret(self) -> bytes:
        """Key for HMAC user pseudonyms: ``BI_PSEUDONYM_SECRET``, else a per-install key file.

        The key file keeps the embedded default working with nothing set while staying stable across runs
        (a new key would re-key every pseudonym). Production sets the variable.
        """
        value = os.environ.get("BI_PSEUDONYM_SECRET")
        if value:
            return value.encode()
        key_file = self.data_dir / ".pseudonym_secret"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()
