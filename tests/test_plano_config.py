"""Plano's own config file: providers, their Envoy clusters and the names #504 mangles.

The YAML below follows the shapes of the configs in Plano's repository (demos and the
full reference: built-in providers, ``base_url`` providers, custom interfaces, the
ChatGPT provider that gets a base_url implied, the legacy ``llm_providers`` form and an
already rendered config); the cluster rule is ``cli/planoai/config_generator.py``'s.
"""

from __future__ import annotations

import textwrap

import pytest

from plano_grafana import pipeline
from plano_grafana.model import config
from plano_grafana.model import plano_config as pc
from plano_grafana.simulate.profiles import Profile, providers_from
from plano_grafana.simulate.simulator import Simulator
from tests.support.cli import run

PLANO = textwrap.dedent("""\
    version: v0.4.0
    listeners:
      - type: model
        name: model_listener
        port: 12000
    model_providers:
      - model: openai/gpt-4o
        access_key: $OPENAI_API_KEY
        default: true
      - model: openai/gpt-4o-mini
        access_key: $OPENAI_API_KEY
      - model: anthropic/claude-sonnet-4-0
        access_key: $ANTHROPIC_API_KEY
      - model: ollama/llama3.1
        base_url: http://host.docker.internal:11434
      - model: my_llm/qwen3
        provider_interface: openai
        base_url: http://localhost:8000
      - model: amazon_bedrock/us.amazon.nova-pro-v1:0
        base_url: https://bedrock-runtime.us-west-2.amazonaws.com
      - model: chatgpt/*
    """)


def providers(text: str = PLANO) -> list[pc.PlanoProvider]:
    import yaml

    return pc.providers(yaml.safe_load(text), "plano_config.yaml")


def test_clusters_follow_plano_config_generator():
    got = {p.model: (p.provider, p.model_id, p.cluster) for p in providers()}
    assert got == {
        "openai/gpt-4o": ("openai", "gpt-4o", "openai"),
        "openai/gpt-4o-mini": ("openai", "gpt-4o-mini", "openai"),
        "anthropic/claude-sonnet-4-0": ("anthropic", "claude-sonnet-4-0", "anthropic"),
        "ollama/llama3.1": ("ollama", "llama3.1", "ollama_host.docker.internal"),
        "my_llm/qwen3": ("my_llm", "qwen3", "openai_localhost"),
        "amazon_bedrock/us.amazon.nova-pro-v1:0": (
            "amazon_bedrock", "us.amazon.nova-pro-v1:0",
            "amazon_bedrock_bedrock-runtime.us-west-2.amazonaws.com"),
        "chatgpt/*": ("chatgpt", "*", "chatgpt_chatgpt.com"),
    }


def test_dotted_clusters_are_predicted_as_envoy_mangles_them():
    by_model = {p.model: p for p in providers()}
    ollama = by_model["ollama/llama3.1"]
    assert ollama.mangled and ollama.stat_cluster_name == "ollama_host"
    assert ollama.stat_prefix == "envoy_cluster_docker_internal_"
    assert ollama.alt_stat_name == "ollama_host_docker_internal"
    bedrock = by_model["amazon_bedrock/us.amazon.nova-pro-v1:0"]
    assert bedrock.stat_cluster_name == "amazon_bedrock_bedrock-runtime"
    assert bedrock.stat_prefix == "envoy_cluster_us_west_2_amazonaws_com_"
    assert not by_model["my_llm/qwen3"].mangled  # localhost has no dot
    assert by_model["openai/gpt-4o"].stat_prefix == "envoy_cluster_"


def test_the_simulator_exports_a_dotted_cluster_under_the_predicted_name():
    plano = providers()
    sim = Simulator(Profile(rate=50, seed=3, providers=providers_from(plano)))
    for _ in range(300):
        sim.request()
    text = sim.envoy.render("envoy")
    ollama = next(p for p in plano if p.model == "ollama/llama3.1")
    assert (f'{ollama.stat_prefix}upstream_rq_total{{envoy_cluster_name="'
            f'{ollama.stat_cluster_name}"}}') in text
    bs = sim.brightstaff.render("brightstaff")
    assert 'provider="my_llm",model="qwen3"' in bs


def test_legacy_and_rendered_forms_are_read():
    legacy = providers("llm_providers:\n  - name: OpenAI\n    provider: openai\n"
                       "    model: gpt-3.5-turbo\n")
    assert [(p.provider, p.model_id, p.cluster) for p in legacy] == [
        ("openai", "gpt-3.5-turbo", "openai")]
    rendered = providers("model_providers:\n  - model: gpt-4o\n    provider_interface: openai\n"
                         "    cluster_name: openai_api.example.com\n")
    assert rendered[0].cluster == "openai_api.example.com" and rendered[0].mangled


@pytest.mark.parametrize("text, message", [
    ("version: v0.4.0\n", "plano_config.yaml: no model_providers"),
    ("model_providers:\n  - model: gpt-4o\n", "model_providers[0]: model 'gpt-4o' is not "
                                              "<provider>/<model>"),
    ("model_providers:\n  - model: acme/m1\n", "model_providers[0]: provider 'acme' is not one "
                                               "Plano knows"),
    ("model_providers:\n  - access_key: x\n", "model_providers[0]: needs a 'model'"),
])
def test_bad_plano_configs_name_the_entry(text, message):
    with pytest.raises(pc.PlanoConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        providers(text)


def test_plano_config_narrows_the_provider_cluster_variable(tmp_path):
    path = tmp_path / "plano_config.yaml"
    path.write_text(PLANO)
    cfg = config.load(None, path)
    built = pipeline.build(cfg)
    regex = {v["name"]: v["regex"] for v in built["plano-llm-requests.json"]["templating"]["list"]
             if v["name"] == "cluster"}["cluster"]
    assert regex == ("/^(?:amazon_bedrock_bedrock\\-runtime|anthropic|chatgpt_chatgpt|ollama_host|"
                     "openai|openai_localhost)$/")
    default = pipeline.build(config.DEFAULT)["plano-llm-requests.json"]
    assert built["plano-llm-requests.json"]["panels"] == default["panels"]


def test_cli_report_and_bad_yaml(tmp_path):
    (tmp_path / "p.yaml").write_text(PLANO)
    (tmp_path / "bad.yaml").write_text("model_providers:\n  - model: [\n")
    ok = run("plano-config", "p.yaml", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "ollama_host.docker.internal" in ok.stdout and "envoy_cluster_docker_internal_*" in ok.stdout
    assert "alt_stat_name" in ok.stdout
    bad = run("build", "--plano-config", "bad.yaml", "--out", "out", cwd=tmp_path)
    assert bad.returncode == 1 and not (tmp_path / "out").exists()
    assert bad.stderr.strip() == "plano-grafana: error: --plano-config: bad.yaml: not valid YAML (line 3)"
