"""Doctor: tell an operator why a panel says "No data", against their own Prometheus.

``plano-grafana doctor`` runs its checks in a fixed order, each a module of this package
that turns what Prometheus reports into findings (``error``, ``warning``, ``info``,
each with a fix):

1. :mod:`.targets` — the Plano targets in ``up`` (up or down, the config's selectors),
   and the scrape interval Prometheus uses against the config's;
2. :mod:`.families` — which catalogue families exist under the configured selectors, and
   for each missing one what depends on it (:mod:`.graph`: dashboards, panels, recording
   rules and alerts, read from the PromQL syntax tree of the compiled targets and rules,
   never from titles); :mod:`.causes` — the likely cause of each absence, with its fix;
3. :mod:`.versions` — brightstaff's ``build_info`` against the release the catalogue
   was read from;
4. :mod:`.rules` — the rule groups Prometheus has loaded and their evaluation errors;
5. :mod:`.data` — models with token traffic and no price, series without the fleet label;
6. :mod:`.panels` — every target of every selected dashboard run as ``preview`` runs it,
   each panel ok, empty or error with the first cause found above.

:mod:`.run` strings them together, :mod:`.report` prints text or JSON.

May import: ``plano_grafana.model`` (catalogue, config, Plano's config), ``plano_grafana.build``
(compiled rules, variable expansion), ``plano_grafana.lint.syntax`` (the PromQL syntax tree)
and ``plano_grafana.preview.query`` (the query engine Grafana's datasource is modelled by).
Not ``deploy``: diagnosing never writes to Grafana.
"""

from plano_grafana.doctor.run import diagnose

__all__ = ["diagnose"]
