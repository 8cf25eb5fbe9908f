"""The model: what an installation is and what Plano exports.

The config (``plano-grafana.toml``), the catalogue of Plano's metrics, model prices, Plano's
own config file and the rule windows derived from the scrape interval. Plain, validated
values with no I/O beyond reading the files the user names.

May import: the standard library, attrs, ``plano_grafana.errors`` and
``plano_grafana.validate`` (the value rules the flags share). Nothing else of the
package imports into here: every other folder builds on the model.
"""
