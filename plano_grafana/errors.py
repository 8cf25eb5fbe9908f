"""The one exception type the CLI turns into a one-line error and a non-zero exit."""


class PlanoGrafanaError(Exception):
    """An error meant for the user: its message names the file, dashboard or field."""

    exit_code = 1


def read_user_file(path, what: str, error: type[PlanoGrafanaError] = PlanoGrafanaError) -> str:
    """The text of a file the user named, or one ``error`` line naming it: missing,
    unreadable, or not UTF-8 (config files, Plano's config, a prices file). A UTF-8 byte
    order mark, which Windows editors write, is dropped rather than read as text."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror}") from None
