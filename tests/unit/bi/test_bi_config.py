"""Connections file validation: good files load; bad ones fail with the connection and field named."""

import pytest

from chordme_bi.bi.config import (
    MAIN_MARTS,
    ConnectionConfigError,
    FilesConnection,
    PowerBIConnection,
    TableauConnection,
    find_connection,
    known_marts,
    load_connections,
    parse_connections,
)
from chordme_bi.settings import PROJECT_ROOT


def _tableau(**overrides):
    item = {"name": "school", "platform": "tableau", "endpoint": "https://tableau.example.edu",
            "data_sources": ["fct_sessions"], "sync_frequency": "daily"}
    item.update(overrides)
    return item


def test_repository_file_loads_with_the_main_marts():
    connections = load_connections(PROJECT_ROOT / "bi_connections.yaml")
    by_name = {c.name: c for c in connections}
    assert isinstance(by_name["tableau"], TableauConnection)
    assert isinstance(by_name["files"], FilesConnection)
    assert isinstance(by_name["powerbi"], PowerBIConnection)
    assert by_name["tableau"].data_sources == list(MAIN_MARTS)
    assert set(MAIN_MARTS) <= known_marts()


def test_defaults_and_env_names():
    [c] = parse_connections({"connections": [_tableau()]})
    assert c.project == "Default" and c.site == "" and c.endpoint == "https://tableau.example.edu"
    assert c.env_names() == ("TABLEAU_TOKEN_NAME", "TABLEAU_TOKEN_SECRET")
    assert c.missing_env({"TABLEAU_TOKEN_NAME": "n"}) == ["TABLEAU_TOKEN_SECRET"]
    assert c.missing_env({"TABLEAU_TOKEN_NAME": "n", "TABLEAU_TOKEN_SECRET": "s"}) == []


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (_tableau(data_sources=["fct_sesions"]), "connection 'school': field 'data_sources': Value error, not a mart"),
        (_tableau(sync_frequency="monthly"), "connection 'school': field 'sync_frequency'"),
        (_tableau(platform="looker"), "connection 'school': field 'platform': must be one of tableau, powerbi"),
        (_tableau(endpoint="tableau.example.edu"), "connection 'school': field 'endpoint'"),
        (_tableau(auth={"type": "personal_access_token", "token_name_env": "lower case"}),
         "connection 'school': field 'auth.token_name_env'"),
        (_tableau(name="School Dashboard"), "connection 'School Dashboard': field 'name'"),
        ({"platform": "files", "data_sources": ["dim_users"]}, "connections[0]: field 'name': Field required"),
        (_tableau(api_key="secret-in-file"), "field 'api_key': Extra inputs are not permitted"),
        ({"name": "pbi", "platform": "powerbi", "mode": "refresh", "data_sources": ["dim_users"]},
         "connection 'pbi': field '(connection)': Value error, refresh_dataset_id is required"),
        ({"name": "out", "platform": "files", "formats": ["xlsx"], "data_sources": ["dim_users"]},
         "connection 'out': field 'formats.0'"),
        (_tableau(data_sources=[]), "connection 'school': field 'data_sources'"),
    ],
)
def test_errors_name_the_connection_and_field(item, expected):
    with pytest.raises(ConnectionConfigError) as info:
        parse_connections({"connections": [item]}, source="bi.yaml")
    assert expected.replace("Value error, ", "") in str(info.value)


def test_duplicate_names_and_bad_shapes():
    with pytest.raises(ConnectionConfigError, match="connection 'school': field 'name': duplicate"):
        parse_connections({"connections": [_tableau(), _tableau()]})
    with pytest.raises(ConnectionConfigError, match="expected a mapping"):
        parse_connections({"connexions": []})
    assert parse_connections({"x-anchors": [1], "connections": []}) == []


def test_find_connection_lists_known_names():
    connections = parse_connections({"connections": [_tableau()]})
    assert find_connection(connections, "school").name == "school"
    with pytest.raises(ConnectionConfigError, match="no connection named 'nope' \\(connections: school\\)"):
        find_connection(connections, "nope")


def test_invalid_yaml_names_the_file(tmp_path):
    path = tmp_path / "bi.yaml"
    path.write_text("connections: [\n")
    with pytest.raises(ConnectionConfigError, match="bi.yaml: not valid YAML"):
        load_connections(path)
    assert load_connections(tmp_path / "missing.yaml") == []
