"""The layout and import rules of DESIGN.md, enforced."""

from __future__ import annotations

import ast
from pathlib import Path

import producers
import schemas
import workers

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level module names imported by each file of a package."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_our_packages_are_the_ones_in_this_repository():
    # PyPI has unrelated packages named schemas, workers and producers.
    for package in (schemas, workers, producers):
        assert Path(package.__file__).resolve().is_relative_to(ROOT)


def test_schemas_import_nothing_else_of_ours():
    for path, names in _imports("schemas").items():
        assert not names & {"workers", "producers"}, path


def test_producers_never_import_workers_or_nlp():
    for path, names in _imports("producers").items():
        assert not names & {"workers", "spacy", "trafilatura"}, path


def test_workers_never_import_producers():
    for path, names in _imports("workers").items():
        assert "producers" not in names, path


def test_only_app_and_the_task_modules_import_celery_in_workers():
    importers = {p for p, names in _imports("workers").items() if "celery" in names}
    assert importers <= {"workers/app.py", "workers/tasks.py", "workers/batch_tasks.py"}


def test_clean_nlp_and_sinks_know_nothing_of_the_queue():
    # The redis-stream sink's target is a Redis stream of the user's: its client, not the broker.
    own_redis = {"workers/sinks/redis_stream.py": {"redis"}}
    for path, names in _imports("workers").items():
        if path.startswith(("workers/clean/", "workers/nlp/", "workers/sinks/", "workers/fetch/")):
            assert not names & ({"celery", "kombu", "redis"} - own_redis.get(path, set())), path
