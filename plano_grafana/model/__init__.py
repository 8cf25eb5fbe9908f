"""The model: what an installation is and what Plano exports.

The config (``plano-grafana.toml``), the catalogue of Plano's metrics, model prices, Plano's
own config file, the rule windows derived from the scrape interval, and the primitives
every layer shares: durations (``durations``), the value rules of flags, environment
variables and config keys alike (``validate``), numbers as Prometheus prints them. Plain,
validated values with no I/O beyond reading the files the user names.

May import: the standard library, attrs, PyYAML, ``plano_grafana.errors``. Nothing else of
the package imports into here: every other folder builds on the model.
"""
