"""Settings from the environment: TLS on by default, clear errors, no secret in repr."""

import pytest

from plano_grafana.deploy.grafana_api import Settings, connect, redact_url
from plano_grafana.errors import PlanoGrafanaError


def test_defaults_verify_tls_and_read_token():
    s = Settings.from_env({"GRAFANA_URL": "https://g.example.com/grafana/", "GRAFANA_TOKEN": "glsa_x"})
    assert s.verify is True and s.token == "glsa_x" and s.timeout == 10
    assert "glsa_x" not in repr(s)


def test_ca_bundle_and_verify_switch():
    assert Settings.from_env({"GRAFANA_URL": "https://g", "GRAFANA_CA_BUNDLE": "/ca.pem"}).verify == "/ca.pem"
    assert Settings.from_env({"GRAFANA_URL": "https://g", "GRAFANA_VERIFY": "false"}).verify is False


def test_basic_auth_from_url_is_kept_out_of_the_url():
    s = Settings.from_env({"GRAFANA_URL": "http://admin:s3cret@g:3000/"})
    assert (s.user, s.password) == ("admin", "s3cret")
    assert "s3cret" not in s.url and "s3cret" not in repr(s)
    assert redact_url("http://a:b@h:1/p?q=1") == "http://h:1/p"


@pytest.mark.parametrize("env, message", [
    ({}, "GRAFANA_URL is not set"),
    ({"GRAFANA_URL": "grafana:3000"}, "must be an http(s) URL"),
    ({"GRAFANA_URL": "http://g", "GRAFANA_TIMEOUT": "soon"}, "GRAFANA_TIMEOUT must be a number"),
])
def test_bad_settings_are_one_line_errors(env, message):
    with pytest.raises(PlanoGrafanaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_connect_keeps_sub_path_and_org_header():
    api = connect(Settings(url="https://g.example.com/grafana", token="t", org_id=2))
    assert api.client.url == "https://g.example.com/grafana/api"
    assert api.client.s.headers["X-Grafana-Org-Id"] == "2"
