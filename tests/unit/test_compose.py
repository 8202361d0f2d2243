"""compose.yaml is well formed and every service runs a real `newsflow` subcommand."""

from __future__ import annotations

import pytest
import yaml

from producers.cli import WORKER_COMMANDS
from producers.cli import build_parser as producer_parser
from tests.conftest import ROOT
from workers.cli import build_parser as worker_parser

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
OURS = {name: svc for name, svc in SERVICES.items() if svc.get("image") == "newsflow:latest"}


def test_redis_persists_and_is_health_checked():
    redis = SERVICES["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert redis["healthcheck"]["test"]


def test_one_worker_service_per_stage_queue():
    queues = set()
    for svc in OURS.values():
        cmd = svc["command"]
        if cmd[1] == "worker":
            queues.update(cmd[cmd.index("--queues") + 1].split(","))
    assert queues == {"clean", "extract", "publish"}


@pytest.mark.parametrize("name", sorted(OURS))
def test_service_command_is_a_real_subcommand_with_valid_arguments(name):
    svc = OURS[name]
    command = svc["command"]
    assert command[0] == "newsflow"
    parser = worker_parser() if command[1] in WORKER_COMMANDS else producer_parser()
    parser.parse_args(command[1:])  # exits (fails the test) on an unknown command or flag
    assert svc["depends_on"]["redis"]["condition"] == "service_healthy"
    assert svc["restart"] == "unless-stopped"


def test_no_secrets_in_the_file():
    text = (ROOT / "compose.yaml").read_text().lower()
    for word in ("password=", "secret=", "token="):
        assert word not in text
