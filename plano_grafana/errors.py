"""The one exception type the CLI turns into a one-line error and a non-zero exit."""


class PlanoGrafanaError(Exception):
    """An error meant for the user: its message names the file, dashboard or field."""

    exit_code = 1
