"""A Grafana HTTP API test double: a real HTTP server on 127.0.0.1.

Run it by hand to try ``deploy`` without a Grafana::

    python -m tests.support.grafana_double --port 3000     # token: glsa_admin_token

One module per resource, each citing the Grafana source its behaviour comes from:
:mod:`.dashboards` (classic), :mod:`.apis` (Kubernetes-style ``/apis``, one store with
the classic API), :mod:`.folders`, :mod:`.datasources`, :mod:`.search`; :mod:`.core` is
the server (auth bodies and RBAC 403s of docs/grafana-api.md, the request log, and
faults real servers have, injected per route: 5xx, 429 with Retry-After, delays past the
client timeout, dropped connections).

Responses go out with TCP_NODELAY, as from Grafana's Go server; ``/_double/log``,
``/_double/reset`` and ``/_double/dashboards`` expose the double's state to a process that
started it as a server (they are not Grafana's, and are not logged).
"""

from __future__ import annotations

import argparse

from tests.support.grafana_double.apis import Apis
from tests.support.grafana_double.common import UI_KEYS, slugify
from tests.support.grafana_double.core import Core, Fault
from tests.support.grafana_double.dashboards import Dashboards
from tests.support.grafana_double.datasources import Datasources
from tests.support.grafana_double.folders import Folders
from tests.support.grafana_double.search import Search

__all__ = ["UI_KEYS", "Fault", "GrafanaDouble", "main", "slugify"]


class GrafanaDouble(Apis, Dashboards, Search, Folders, Datasources, Core):
    """The whole double: Grafana 11.3-12.x (``era="E2"``) or 13.x (``era="E3"``,
    ``version="13.2.1"``: /apis at v1)."""


def main(argv: list[str] | None = None) -> None:
    """Serve the double until interrupted, for trying ``plano-grafana deploy`` by hand."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.grafana_double",
                                     description=main.__doc__)
    parser.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default 3000)")
    parser.add_argument("--era", choices=("E2", "E3"), default="E2",
                        help="E2: Grafana 11.3-12.x conflicts (412); E3: 13.x (409)")
    parser.add_argument("--version", default="11.3.0", help="reported Grafana version; 12+ serves /apis")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--legacy-v2", choices=("406", "convert"), default="406",
                        help="classic GET of a v2-saved dashboard: 406, or a lossy v1 conversion")
    args = parser.parse_args(argv)
    try:
        double = GrafanaDouble(era=args.era, version=args.version, latency=args.latency,
                               port=args.port)
    except OSError as exc:
        raise SystemExit(f"grafana double: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    double.legacy_v2 = args.legacy_v2
    print(f"Grafana API double at {double.url} (Grafana {args.version}, era {args.era})", flush=True)
    print("  export GRAFANA_URL=" + double.url + " GRAFANA_TOKEN=glsa_admin_token", flush=True)
    try:
        double.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        double.server.server_close()


