"""Connect to Grafana with grafana-client: settings from the environment, retries,
timeouts, and errors turned into one-line messages that never carry a secret.

grafana-client has no retries of its own (niquests' default is 0), so its session is
replaced by one with urllib3's ``Retry``: exponential backoff with jitter on 429, 502,
503, 504 and connection errors, bounded in count, with ``Retry-After`` honoured up to a
cap. A POST is retried too: the dashboard save carries the version it expects, so a
retried save that had in fact landed comes back as a version conflict, which the sync
engine recognises by comparing content (see :mod:`plano_grafana.deploy.sync`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import attr
import niquests
from grafana_client import GrafanaApi
from grafana_client.client import (
    GrafanaClientError,
    GrafanaException,
    GrafanaTimeoutError,
    GrafanaUnauthorizedError,
)
from niquests.adapters import Retry

from plano_grafana.errors import PlanoGrafanaError
from plano_grafana.model import validate

RETRY_STATUSES = (429, 502, 503, 504)
T = TypeVar("T")


class GrafanaError(PlanoGrafanaError):
    """A Grafana request failed; the message says which and why, without credentials."""


class AuthError(GrafanaError):
    """401/403: fail at once, no retries, no further writes."""


class ManagerError(GrafanaError):
    """403 from Grafana 13's apiserver: another manager owns this object. One object's
    failure: the rest of the deploy goes on."""


class ConflictError(GrafanaError):
    """412 (11.x–12.x) or 409 (13.x): somebody saved the object since we read it."""


def redact_url(url: str) -> str:
    """The URL without user:password, for messages."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


#: Retries after a request's first try unless ``GRAFANA_RETRIES`` says otherwise.
RETRIES = 4


@attr.s(frozen=True, repr=False)
class Settings:
    """Where and how to reach Grafana; ``repr`` hides every credential."""

    url: str = attr.ib()
    token: str | None = attr.ib(default=None)
    user: str | None = attr.ib(default=None)
    password: str | None = attr.ib(default=None)
    org_id: int | None = attr.ib(default=None)
    timeout: float = attr.ib(default=10.0)
    verify: bool | str = attr.ib(default=True)
    #: Retries of a request after its first try (``GRAFANA_RETRIES``; Terraform's Grafana
    #: provider has the same setting): 0 fails at the first error, as a CI job may want.
    retries: int = attr.ib(default=RETRIES)
    backoff: float = attr.ib(default=0.25)
    retry_after_max: int = attr.ib(default=10)

    def __repr__(self) -> str:
        auth = "token" if self.token else "basic" if self.user else "none"
        return f"Settings(url={redact_url(self.url)!r}, auth={auth}, org_id={self.org_id})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """``GRAFANA_URL``, ``GRAFANA_TOKEN`` or ``GRAFANA_USER``/``GRAFANA_PASSWORD``,
        ``GRAFANA_ORG_ID``, ``GRAFANA_TIMEOUT``, ``GRAFANA_RETRIES``, ``GRAFANA_CA_BUNDLE``,
        ``GRAFANA_VERIFY``."""
        env = os.environ if env is None else env
        url = env.get("GRAFANA_URL")
        if not url:
            raise PlanoGrafanaError("GRAFANA_URL is not set (e.g. http://localhost:3000)")
        problem = validate.url_problem(url)
        if problem:
            raise PlanoGrafanaError(f"GRAFANA_URL must be an http(s) URL: {problem}")
        parts = urlsplit(url)
        user = env.get("GRAFANA_USER") or parts.username
        password = env.get("GRAFANA_PASSWORD") or parts.password
        token = env.get("GRAFANA_TOKEN") or None
        timeout = validate.positive_number(env.get("GRAFANA_TIMEOUT", "10"))
        if timeout is None:
            raise PlanoGrafanaError(f"GRAFANA_TIMEOUT must be a number of seconds above 0, got "
                                    f"{env['GRAFANA_TIMEOUT']!r}")
        retries = validate.whole_number(env.get("GRAFANA_RETRIES") or str(RETRIES))
        if retries is None:
            raise PlanoGrafanaError(f"GRAFANA_RETRIES must be a whole number of retries, 0 or "
                                    f"more, got {env['GRAFANA_RETRIES']!r}")
        org_id = validate.positive_integer(env["GRAFANA_ORG_ID"]) \
            if env.get("GRAFANA_ORG_ID") else None
        if env.get("GRAFANA_ORG_ID") and org_id is None:
            raise PlanoGrafanaError(f"GRAFANA_ORG_ID must be a whole number above 0 (the "
                                    f"organisation's id), got {env['GRAFANA_ORG_ID']!r}")
        verify: bool | str = True
        if env.get("GRAFANA_CA_BUNDLE"):
            verify = env["GRAFANA_CA_BUNDLE"]
        elif env.get("GRAFANA_VERIFY"):
            problem = validate.boolean_problem(env["GRAFANA_VERIFY"])
            if problem:
                raise PlanoGrafanaError(f"GRAFANA_VERIFY: {problem}")
            verify = bool(validate.boolean(env["GRAFANA_VERIFY"]))
        return cls(url=redact_url(url), token=token, user=user, password=password,
                   org_id=org_id, timeout=timeout, verify=verify,
                   retries=retries)


#: Settings every environment shares; the URL and credentials are the environment's own.
_SHARED_SETTINGS = ("GRAFANA_ORG_ID", "GRAFANA_TIMEOUT", "GRAFANA_RETRIES", "GRAFANA_CA_BUNDLE",
                    "GRAFANA_VERIFY")


def settings_for(url_env: str, token_env: str, env: Mapping[str, str] | None = None) -> Settings:
    """Settings of a named environment: the URL and token come only from the variables it
    names (never GRAFANA_URL/GRAFANA_TOKEN, so staging's config can't reach production's
    Grafana by accident); a missing one is a one-line error naming it."""
    env = os.environ if env is None else env
    for name in (url_env, token_env):
        if not env.get(name):
            raise PlanoGrafanaError(f"environment variable {name} is not set (named by the "
                                    "selected environment)")
    scoped = {k: env[k] for k in _SHARED_SETTINGS if k in env}
    scoped.update(GRAFANA_URL=env[url_env], GRAFANA_TOKEN=env[token_env])
    return Settings.from_env(scoped)


def connect(settings: Settings) -> GrafanaApi:
    """A grafana-client ``GrafanaApi`` with retries and the settings' auth and TLS."""
    parts = urlsplit(settings.url)
    if settings.token:
        auth: object = settings.token
    elif settings.user:
        auth = (settings.user, settings.password or "")
    else:
        auth = None
    prefix = parts.path.strip("/")
    api = GrafanaApi(auth=auth, host=parts.hostname, port=parts.port,
                     url_path_prefix=f"{prefix}/" if prefix else "", protocol=parts.scheme,
                     verify=settings.verify, timeout=settings.timeout,
                     organization_id=settings.org_id, user_agent="plano-grafana")
    retry = Retry(total=settings.retries, connect=settings.retries, read=settings.retries,
                  status=settings.retries, other=0, status_forcelist=RETRY_STATUSES,
                  allowed_methods=None, backoff_factor=settings.backoff, backoff_max=4,
                  backoff_jitter=settings.backoff, respect_retry_after_header=True,
                  retry_after_max=settings.retry_after_max, raise_on_status=False)
    session = niquests.Session(retries=retry, pool_maxsize=16)
    session.headers.update(api.client.s.headers)
    api.client.s = session
    return api


_PERMISSION_HINT = ("the service account needs the Admin role, or Editor plus the fixed role "
                    "fixed:datasources:writer (datasources:create/write is Admin's only)")


def call(settings: Settings, what: str, func: Callable[[], T]) -> T:
    """Run one API call; translate failures into a one-line :class:`GrafanaError`."""
    where = redact_url(settings.url)
    timed_out = (f"{what}: Grafana at {where} did not answer within {settings.timeout:g}s "
                 "(GRAFANA_TIMEOUT)")
    try:
        return func()
    except GrafanaUnauthorizedError as exc:
        raise AuthError(f"{what}: Grafana at {where} rejected the credentials (401 "
                        f"{_message(exc)}): check GRAFANA_TOKEN or GRAFANA_USER/PASSWORD") from None
    except GrafanaClientError as exc:
        if exc.status_code == 403:
            raise AuthError(f"{what}: permission denied (403 {_message(exc)}); "
                            f"{_PERMISSION_HINT}") from None
        if exc.status_code in (409, 412):
            raise ConflictError(f"{what}: {exc.status_code} {_message(exc)}") from None
        raise GrafanaError(f"{what}: {exc.status_code} {_message(exc)}") from None
    except GrafanaTimeoutError:
        raise GrafanaError(timed_out) from None
    except GrafanaException as exc:
        status = exc.status_code or ""
        raise GrafanaError(f"{what}: Grafana at {where} failed: {status} {_message(exc)}".strip()) \
            from None
    except niquests.exceptions.SSLError as exc:
        raise GrafanaError(f"{what}: TLS handshake with Grafana at {where} failed: "
                           f"{_tls_hint(str(exc), settings.url)}") from None
    except niquests.exceptions.ConnectionError as exc:
        text = str(exc).lower()
        if "timed out" in text or "timeout" in text:  # read timeouts, after the retries
            raise GrafanaError(timed_out) from None
        reason = "connection refused" if "refused" in text else "cannot connect"
        raise GrafanaError(f"{what}: {reason} to Grafana at {where}") from None
    except niquests.exceptions.RequestException as exc:
        raise GrafanaError(f"{what}: request to Grafana at {where} failed: "
                           f"{type(exc).__name__}") from None


#: What OpenSSL says when the server answers a TLS hello in plain HTTP.
_PLAIN_HTTP = ("wrong version number", "record layer failure", "packet length too long",
               "unknown protocol", "http request")


def _tls_hint(text: str, url: str) -> str:
    """The likely cause of a failed TLS handshake, as advice (``text`` is never shown)."""
    text = text.lower()
    if url.startswith("https://") and any(s in text for s in _PLAIN_HTTP):
        return ("the server answered in plain HTTP; if Grafana serves HTTP on that port, "
                "use http:// in GRAFANA_URL")
    if "certificate verify failed" in text or "certificate_verify_failed" in text:
        return ("its certificate is not trusted; set GRAFANA_CA_BUNDLE to the CA file "
                "(GRAFANA_VERIFY=false only for testing)")
    return "check the URL's scheme (http:// or https://) and GRAFANA_CA_BUNDLE"


def _message(exc: GrafanaException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("message"):
        return str(response["message"])
    text = str(getattr(exc, "message", "") or exc)
    return text.splitlines()[0][:200] if text else ""

