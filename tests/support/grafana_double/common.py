"""What every resource module of the double shares: uid rules, slugs, error bodies."""

from __future__ import annotations

import re

UID_RE = re.compile(r"^[a-zA-Z0-9_-]*$")
#: Top-level keys Grafana's UI keeps when it saves a dashboard (our marker is not one).
UI_KEYS = {"annotations", "description", "editable", "fiscalYearStartMonth", "graphTooltip", "id",
           "links", "liveNow", "panels", "refresh", "schemaVersion", "tags", "templating", "time",
           "timepicker", "timezone", "title", "uid", "version", "weekStart"}


def slugify(title: str) -> str:
    out = []
    for ch in title.lower():
        if ch == " ":
            out.append("-")
        elif re.match(r"[a-z0-9_-]", ch):
            out.append(ch)
        elif ch in ',"\'?.()\r\n\0':
            continue
        else:
            out.append(ch.encode().hex())
    slug = "".join(out)
    return slug if 0 < len(slug) <= 50 else "dashboard"




class Raw:
    """A body serialised while the lock was held (no deep copy of a stored dashboard)."""

    def __init__(self, text: str):
        self.text = text


def content(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("id", "uid", "version")}


def errutil(status: int, message: str, message_id: str) -> dict:
    return {"extra": None, "message": message, "messageId": message_id, "statusCode": status,
            "traceID": ""}



def k8s_status(code: int, reason: str, message: str, name: str = "") -> dict:
    """A Kubernetes ``Status`` error body, as Grafana's apiserver answers /apis errors
    (k8s.io/apimachinery metav1.Status)."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if name:
        body["details"] = {"name": name, "group": "dashboard.grafana.app", "kind": "dashboards"}
    return body
