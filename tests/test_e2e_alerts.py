"""The generated alerts fire in a real Prometheus and reach a real Alertmanager running
the example config (docs/alertmanager.yml, generated for this fleet), whose inhibitions
keep the covered alerts from arriving.

Four simulated Plano installations, told apart by the fleet label ``k8s_cluster``:
``outage`` runs the ``provider-outage`` fault profile (openai answers 30 % 5xx with TTFT
×4, the other providers healthy), ``healthy`` the ``healthy`` profile, ``allfail`` the
``all-providers-failing`` profile, and ``gone`` a healthy installation whose endpoints
stop once everything is up. Prometheus scrapes all every second and evaluates the rules
every second; the rules are the shipped ones compiled with every window scaled by 1/300
(1 h → 12 s, 6 h → 72 s; 5 m → 1 s, raised to four scrapes = 4 s), so the SRE workbook's
page conditions can be met within seconds. Alertmanager (Debian's
``prometheus-alertmanager``) delivers to a webhook; its ``group_wait`` is 10 s here
(30 s in the example), time enough for an inhibiting alert that fires a few seconds after
the alerts it covers.
"""

from __future__ import annotations

import os
import time

import attr
import pytest

from plano_grafana import pipeline
from plano_grafana.build import alertmanager as am_config
from plano_grafana.build import rules_compiler
from plano_grafana.build.rules.alerts import runbook
from plano_grafana.model import config
from plano_grafana.simulate.profiles import PROFILES
from tests.conftest import require_binary
from tests.support import alertmanager as am
from tests.support import pages, poll
from tests.support.stack import Stack

pytestmark = pytest.mark.prometheus
FLEET = "k8s_cluster"
SCALE = 1 / 300
WAIT = 90  # seconds: bounded wait for an alert (first page needs ~12 s of data)
FAULTY = "openai"
PAGES = ("PlanoProviderErrorBudgetBurn", "PlanoClusterErrorBudgetBurn",
         "PlanoProviderTTFTBudgetBurn")
GROUP_WAIT = 10  # seconds (Alertmanager): every inhibited alert's first flush is this late


def _alertmanager_binary() -> str:
    path = os.environ.get("ALERTMANAGER_BIN") or am.find_binary()
    if path:
        return path
    message = "alertmanager not found: install Debian's 'prometheus-alertmanager' package"
    if os.environ.get("PLANO_REQUIRE_PROMETHEUS"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def alerting(promtool, tmp_path_factory):
    prometheus = require_binary("prometheus", "PROMETHEUS_BIN")
    binary = _alertmanager_binary()
    cfg = attr.evolve(config.DEFAULT, fleet=config.Fleet(FLEET), scrape_interval=1.0,
                      window_scale=SCALE)
    files = pipeline.rules(cfg)  # compiled and linted exactly as `plano-grafana rules`
    out = tmp_path_factory.mktemp("rules")
    rules_compiler.write(out, files)
    webhook = am.Webhook().start()
    manager = am.Alertmanager(binary, webhook.url, am_config.config(
        cfg, page_url=webhook.url, ticket_url=webhook.url, group_wait=f"{GROUP_WAIT}s",
        group_interval="1s", repeat_interval="1h"))
    stack = Stack(
        prometheus, [attr.evolve(PROFILES["provider-outage"], rate=40),
                     attr.evolve(PROFILES["healthy"], rate=40, seed=8),
                     attr.evolve(PROFILES["all-providers-failing"], rate=40, seed=9),
                     attr.evolve(PROFILES["healthy"], rate=10, seed=10)],
        [{FLEET: "outage"}, {FLEET: "healthy"}, {FLEET: "allfail"}, {FLEET: "gone"}],
        promtool=promtool,
        rule_files=sorted(str(p) for p in out.glob("*.yaml")),
        extra_config={
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [manager.address]}]}]},
        })
    try:
        manager.start()
        stack.start()
        # Prometheus evaluates rules before its first scrapes land: with `for: 10m` scaled
        # to seconds, PlanoMetricsAbsent (rightly) fires for that moment. What follows is
        # judged from when it has resolved, i.e. once both installations are scraped.
        poll.until(lambda: not stack.prom.query('ALERTS{alertname="PlanoMetricsAbsent"}',
                                                time.time()),
                   "PlanoMetricsAbsent resolved", WAIT)
        started = time.time()
        stack.members[3].servers.stop()  # "gone": its targets go down, its series stale
        yield stack, webhook, started
    finally:
        stack.stop()
        manager.stop()
        webhook.stop()


def _firing(prom, alertname: str, **labels: str) -> list[dict]:
    matchers = ",".join([f'alertname="{alertname}"', 'alertstate="firing"',
                         *(f'{k}="{v}"' for k, v in labels.items())])
    return prom.query(f"ALERTS{{{matchers}}}", time.time())


def _wait_firing(prom, alertname: str, **labels: str) -> list[dict]:
    return poll.until(lambda: _firing(prom, alertname, **labels),
                      f"{alertname} {labels} firing", WAIT, every=1)


def _ever(prom, selector: str, since: float) -> list[dict]:
    """Every ALERTS series matching ``selector`` at any point since ``since`` (pending too)."""
    now = time.time()
    window = max(int(now - since), 1)
    return prom.query(f"max_over_time(ALERTS{{{selector}}}[{window}s])", now)


def test_outage_pages_for_the_faulty_provider(alerting):
    stack, _, _ = alerting
    brightstaff = _wait_firing(stack.prom, PAGES[0], provider=FAULTY, severity="critical",
                               **{FLEET: "outage"})
    assert brightstaff[0]["metric"]["provider"] == FAULTY
    _wait_firing(stack.prom, PAGES[1], envoy_cluster_name=FAULTY, severity="critical",
                 **{FLEET: "outage"})
    _wait_firing(stack.prom, PAGES[2], provider=FAULTY, severity="critical", **{FLEET: "outage"})


def test_no_alert_for_healthy_providers_or_the_healthy_fleet(alerting):
    stack, _, started = alerting
    _wait_firing(stack.prom, PAGES[0], provider=FAULTY, **{FLEET: "outage"})
    # five more evaluations of every group, for anything else that might fire
    stack.prom.wait_evaluations(5, after=time.time(), interval=1.0)
    others = _ever(stack.prom, f'{FLEET}="outage",provider!="",provider!="{FAULTY}"', started)
    others += _ever(stack.prom, f'{FLEET}="outage",envoy_cluster_name!="",'
                                f'envoy_cluster_name!="{FAULTY}"', started)
    assert others == [], [s["metric"] for s in others]
    healthy = _ever(stack.prom, f'{FLEET}="healthy"', started)
    assert healthy == [], [s["metric"] for s in healthy]
    pages = _ever(stack.prom, f'severity="critical",alertstate="firing",'
                              f'{FLEET}!~"outage|allfail|gone"', started)
    assert pages == [], [s["metric"] for s in pages]


def test_alertmanager_delivers_the_page_with_provider_severity_and_runbook(alerting):
    _, webhook, _ = alerting

    def wanted(alert: dict) -> bool:
        labels = alert["labels"]
        return (labels.get("alertname") == PAGES[0] and labels.get("provider") == FAULTY
                and labels.get("severity") == "critical")

    alert = webhook.wait_for(wanted, timeout=WAIT)
    assert alert is not None, f"no notification for {PAGES[0]}: got {webhook.alerts()}"
    assert alert["status"] == "firing"
    assert alert["labels"][FLEET] == "outage"
    assert alert["annotations"]["runbook_url"] == runbook(config.DEFAULT, PAGES[0])
    assert FAULTY in alert["annotations"]["summary"]
    assert "%" in alert["annotations"]["description"]
    delivered = [a for a in webhook.alerts() if a["labels"].get(FLEET) in ("outage", "healthy")]
    assert not [a for a in delivered if a["labels"].get(FLEET) == "healthy"], delivered
    assert not [a for a in delivered if a["labels"].get("provider") not in (None, FAULTY)], delivered


# --- inhibition: the example Alertmanager config ----------------------------------------

def _inhibited(stack, webhook, source: dict, target: str, since: float) -> tuple[list, list]:
    """Waits until ``source`` is delivered and the ``target`` alerts (a selector) have
    fired in Prometheus long enough to have been flushed; returns (fired, delivered)."""
    assert webhook.wait_for(lambda a: all(a["labels"].get(k) == v for k, v in source.items()),
                            timeout=WAIT) is not None, f"{source} never delivered"
    first = poll.until(lambda: pages.first_firing(stack.prom, target, since),
                       f"{target} firing in Prometheus", WAIT, every=1)
    while time.time() < first + GROUP_WAIT + 5:  # its group's first flush, and some
        time.sleep(0.5)
    fired = _ever(stack.prom, target + ',alertstate="firing"', since)
    want = dict(kv.split("=", 1) for kv in target.replace('"', "").split(",") if "=~" not in kv)
    delivered = [a for a in webhook.alerts()
                 if all(a["labels"].get(k) == v for k, v in want.items() if "!" not in k)]
    return fired, delivered


def test_a_page_inhibits_the_ticket_of_the_same_alert_and_provider(alerting):
    stack, webhook, started = alerting
    fired, delivered = _inhibited(
        stack, webhook, {"alertname": PAGES[0], "provider": FAULTY, "severity": "critical",
                         FLEET: "outage"},
        f'alertname="{PAGES[0]}",provider="{FAULTY}",severity="warning",{FLEET}="outage"', started)
    assert fired, "the ticket never fired: nothing was inhibited"
    assert delivered == [], delivered


def test_all_providers_failing_inhibits_the_per_provider_pages(alerting):
    stack, webhook, started = alerting
    fired, delivered = _inhibited(
        stack, webhook, {"alertname": "PlanoAllProvidersFailing", FLEET: "allfail"},
        f'alertname="{PAGES[0]}",severity="critical",{FLEET}="allfail"', started)
    assert {s["metric"]["provider"] for s in fired} >= {"openai", "anthropic"}, fired
    assert delivered == [], delivered
    others = [a for a in webhook.alerts() if a["labels"].get(FLEET) == "allfail"
              and a["labels"]["alertname"] in PAGES and a["labels"]["severity"] == "critical"]
    assert others == [], others


def test_target_down_inhibits_metrics_absent_for_that_installation(alerting):
    """One installation gone while the others report: PlanoMetricsAbsent fires for it
    alone (the fleet label names it), and PlanoTargetDown keeps it from paging twice."""
    stack, webhook, started = alerting
    fired, delivered = _inhibited(
        stack, webhook, {"alertname": "PlanoTargetDown", FLEET: "gone"},
        f'alertname="PlanoMetricsAbsent",{FLEET}="gone"', started)
    assert {s["metric"]["component"] for s in fired} == {"envoy", "brightstaff"}, fired
    assert delivered == [], delivered
    absent = _ever(stack.prom, 'alertname="PlanoMetricsAbsent",alertstate="firing"', started)
    assert {s["metric"].get(FLEET) for s in absent} == {"gone"}, absent
