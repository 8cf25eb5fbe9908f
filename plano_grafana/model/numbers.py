"""Numbers as Prometheus writes them: one text form for a bucket bound or a threshold.

A rule that selects ``le="2.5"`` must spell the bound exactly as the exporter does, so the
rule modules and the simulator's exposition share this one function.
"""


def fmt_number(value: float) -> str:
    """Shortest round-trip text: ``0.5``, ``0.05``, ``3600000`` (Envoy's bounds are all
    integers or 0.5, where ``{:.32g}`` prints the same; Rust's exporter prints shortest)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
