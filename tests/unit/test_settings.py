from pathlib import Path

from chordme_bi.settings import Settings


def test_defaults_need_nothing_set(tmp_path):
    settings = Settings.from_env({}, data_dir=tmp_path)
    assert settings.warehouse_path == tmp_path / "warehouse.duckdb"
    assert settings.output_dir == tmp_path / "output"
    assert settings.source_url == f"sqlite:///{tmp_path / 'chordme.db'}"
    assert settings.export_max_records == 10_000 and settings.webhook_timeout == 30


def test_environment_is_typed_and_empty_values_fall_back():
    env = {"BI_EXPORT_MAX_RECORDS": "250", "BI_SCHEDULER_ENABLED": "false", "BI_WEBHOOK_TIMEOUT": "",
           "CHORDME_SOURCE_URL": "postgresql://bi@db/chordme", "BI_DATA_DIR": "/srv/bi"}
    settings = Settings.from_env(env)
    assert settings.export_max_records == 250
    assert settings.scheduler_enabled is False
    assert settings.webhook_timeout == 30
    assert settings.source_url == "postgresql://bi@db/chordme"
    assert settings.warehouse_path == Path("/srv/bi/warehouse.duckdb")


def test_pseudonym_secret_prefers_the_environment_and_otherwise_persists_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("BI_PSEUDONYM_SECRET", raising=False)
    settings = Settings.from_env({}, data_dir=tmp_path)
    generated = settings.pseudonym_secret()
    assert len(generated) == 64 and settings.pseudonym_secret() == generated
    assert (tmp_path / ".pseudonym_secret").stat().st_mode & 0o077 == 0  # owner-only
    monkeypatch.setenv("BI_PSEUDONYM_SECRET", "from-env")
    assert settings.pseudonym_secret() == b"from-env"
    assert "from-env" not in repr(settings)
