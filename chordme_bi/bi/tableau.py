"""Publishing .hyper extracts to Tableau Server / Cloud with tableauserverclient (TSC).

Sign in with a personal access token, find the project by name, publish in Overwrite mode. TSC decides how to
upload: one multipart request below 64 MB, otherwise initiate / append chunks / publish with uploadSessionId
(``TSC_FILESIZE_LIMIT_MB`` lowers that threshold and ``TSC_CHUNK_SIZE_MB`` sets the chunk size; both are read
by TSC at call time). Errors are turned into :class:`TableauError` messages that say what to fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from chordme_bi.bi.config import TableauConnection


class TableauError(RuntimeError):
    pass


class MissingCredentialsError(TableauError):
    pass


@dataclass(frozen=True)
class PublishResult:
    datasource_id: str
    name: str
    project_id: str
    bytes: int
    chunked: bool


def _credentials(connection: TableauConnection) -> tuple[str, str]:
    missing = connection.missing_env()
    if missing:
        raise MissingCredentialsError(f"connection {connection.name!r}: {', '.join(missing)} not set")
    return os.environ[connection.auth.token_name_env], os.environ[connection.auth.token_secret_env]


def _explain(connection: TableauConnection, exc: Exception) -> TableauError:
    """A message a person can act on; never includes the token."""
    import requests
    import tableauserverclient as TSC

    where = f"connection {connection.name!r} ({connection.endpoint})"
    if isinstance(exc, TableauError):
        return exc
    if isinstance(exc, TSC.FailedSignInError):
        return TableauError(
            f"{where}: sign-in rejected (401): check {connection.auth.token_name_env} / "
            f"{connection.auth.token_secret_env} and site {connection.site!r} [{getattr(exc, 'summary', '')}]"
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = str(exc)
        if "Name or service not known" in reason or "getaddrinfo" in reason or "NameResolution" in reason:
            return TableauError(f"{where}: host name does not resolve (DNS)")
        if "refused" in reason.lower():
            return TableauError(f"{where}: connection refused")
        return TableauError(f"{where}: cannot connect: {reason[:200]}")
    if isinstance(exc, requests.exceptions.Timeout):
        return TableauError(f"{where}: timed out")
    if isinstance(exc, TSC.ServerResponseError):
        return TableauError(f"{where}: server answered {exc.code}: {exc.summary}: {exc.detail}")
    return TableauError(f"{where}: {type(exc).__name__}: {exc}")


class TableauPublisher:
    """One signed-in session; use as a context manager (signs out on exit)."""

    def __init__(self, connection: TableauConnection, timeout: float = 60.0):
        self.connection = connection
        self.timeout = timeout
        self._server = None
        self._project_id: str | None = None

    def __enter__(self) -> "TableauPublisher":
        import tableauserverclient as TSC

        name, secret = _credentials(self.connection)
        try:
            server = TSC.Server(self.connection.endpoint, use_server_version=True,
                                http_options={"timeout": self.timeout})
            server.auth.sign_in(TSC.PersonalAccessTokenAuth(name, secret, site_id=self.connection.site))
        except Exception as exc:
            raise _explain(self.connection, exc) from None
        self._server = server
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            try:
                self._server.auth.sign_out()
            except Exception:  # signing out is best effort: the token expires anyway
                pass
            self._server = None

    @property
    def server_version(self) -> str:
        return self._server.version

    def project_id(self) -> str:
        """The id of the connection's project (looked up by name once; top-level wins over nested)."""
        import tableauserverclient as TSC

        if self._project_id:
            return self._project_id
        options = TSC.RequestOptions()
        options.filter.add(TSC.Filter(TSC.RequestOptions.Field.Name, TSC.RequestOptions.Operator.Equals,
                                      self.connection.project))
        try:
            projects, _ = self._server.projects.get(options)
        except Exception as exc:
            raise _explain(self.connection, exc) from None
        matches = [p for p in projects if p.name == self.connection.project]
        if not matches:
            raise TableauError(f"connection {self.connection.name!r}: project {self.connection.project!r} not found "
                               f"on site {self.connection.site or '(default)'!r}")
        matches.sort(key=lambda p: p.parent_id is not None)
        self._project_id = matches[0].id
        return self._project_id

    def publish(self, hyper_path: Path, name: str) -> PublishResult:
        import tableauserverclient as TSC
        from tableauserverclient.config import BYTES_PER_MB, config

        item = TSC.DatasourceItem(project_id=self.project_id(), name=name)
        size = hyper_path.stat().st_size
        try:
            published = self._server.datasources.publish(item, str(hyper_path), TSC.Server.PublishMode.Overwrite)
        except Exception as exc:
            raise _explain(self.connection, exc) from None
        return PublishResult(published.id, published.name, self.project_id(), size,
                             chunked=size >= config.FILESIZE_LIMIT_MB * BYTES_PER_MB)


def check(connection: TableauConnection) -> list[str]:
    """Reachability, credentials and project, as lines of what was verified. Raises TableauError otherwise."""
    with TableauPublisher(connection, timeout=15) as publisher:
        lines = [f"signed in to {connection.endpoint} (REST API {publisher.server_version}), site "
                 f"{connection.site or '(default)'!r}"]
        lines.append(f"project {connection.project!r} found (id {publisher.project_id()})")
    return lines
