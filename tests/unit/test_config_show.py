"""`newsflow config show`: every setting, where it came from, secrets masked; bad settings named.

The CLI runs as a subprocess in a temporary working directory (its own .env), as an
operator would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from schemas.settings import Settings
from schemas.settings_view import MASK, error_lines, mask_url, origin_of, unknown_variables
from tests.conftest import ROOT

REDIS_PW = "redis-pw-5f1e9c"
PG_PW = "pg-pw-0a77d2"
TOKEN = "tok-9b3c1e"
HMAC = "hmac-secret-2d8f4a"
SINK_SECRET = "sink-secret-6e0b3f"


def run(cwd, *args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "producers.cli", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("redis://:pw@h:6379/0", f"redis://:{MASK}@h:6379/0"),
        ("redis://default:pw@h/1", f"redis://default:{MASK}@h/1"),
        (
            "postgresql://u:p%40ss@db:5432/x?sslmode=require",
            f"postgresql://u:{MASK}@db:5432/x?sslmode=require",
        ),
        ("https://h/hook?token=abc&batch=5", f"https://h/hook?token={MASK}&batch=5"),
        ("https://h/hook?api_key=abc", f"https://h/hook?api_key={MASK}"),
        # Not secrets: left exactly as written.
        ("jsonl:///srv/out.jsonl?rotate=daily", "jsonl:///srv/out.jsonl?rotate=daily"),
        (
            "redis-stream://h:6379/0?key=newsflow:records&maxlen=9",
            "redis-stream://h:6379/0?key=newsflow:records&maxlen=9",
        ),
        ("https://user@h/x", "https://user@h/x"),
        ("redis://[::1", MASK),  # unparseable: masked whole rather than risk it
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


def test_origin_prefers_the_environment_over_dotenv():
    env = {"newsflow_log_level": "DEBUG"}  # pydantic-settings matches names case-insensitively
    dotenv = {"NEWSFLOW_LOG_LEVEL": "ERROR", "NEWSFLOW_ENV": "test"}
    assert origin_of("NEWSFLOW_LOG_LEVEL", env, dotenv) == "env"
    assert origin_of("NEWSFLOW_ENV", env, dotenv) == ".env"
    assert origin_of("NEWSFLOW_SINKS", env, dotenv) == "default"


def test_unknown_variables_are_reported_but_not_test_or_internal_ones():
    env = {"NEWSFLOW_REDIS_URI": "x", "NEWSFLOW_TEST_REDIS_URL": "x", "NEWSFLOW_WORKER_QUEUES": "x"}
    assert unknown_variables(env, {"NEWSFLOW_LOG_LEVL": "x", "OTHER": "y"}) == [
        "NEWSFLOW_LOG_LEVL",
        "NEWSFLOW_REDIS_URI",
    ]


def test_error_lines_name_the_variable_and_never_show_a_secret_input():
    with pytest.raises(ValidationError) as caught:
        Settings(
            _env_file=None,
            env="production",
            max_article_bytes="abc",
            callback_secret="short-secret",
            redis_url="redis://r:6379/0",
        )
    lines = error_lines(caught.value, environ={"NEWSFLOW_MAX_ARTICLE_BYTES": "abc"}, dotenv={})
    assert lines[0] == (
        "invalid setting NEWSFLOW_MAX_ARTICLE_BYTES='abc' (from environment): "
        "Input should be a valid integer, unable to parse string as an integer"
    )
    assert lines[1].startswith("invalid setting NEWSFLOW_CALLBACK_SECRET (from default): ")
    assert "short-secret" not in "\n".join(lines)


def test_config_show_prints_every_setting_with_its_origin_and_masks_secrets(tmp_path):
    (tmp_path / ".env").write_text(
        f"NEWSFLOW_WEBHOOK_TOKENS=other,{TOKEN}\nNEWSFLOW_LOG_LEVEL=WARNING\nNEWSFLOW_SINK_WEBHOK_SECRET=x\n"
    )
    sinks = (
        f"jsonl:///srv/out.jsonl,postgresql://nf:{PG_PW}@db:5432/nf,"
        f"https://consumer.example/in?token={SINK_SECRET}"
    )
    result = run(
        tmp_path,
        "config",
        "show",
        "--json",
        NEWSFLOW_REDIS_URL=f"redis://default:{REDIS_PW}@redis:6379/0",
        NEWSFLOW_SINKS=sinks,
        NEWSFLOW_WEBHOOK_HMAC_SECRET=HMAC,
        NEWSFLOW_LOG_LEVEL="DEBUG",  # beats the .env
    )
    assert result.returncode == 0, result.stderr
    for secret in (REDIS_PW, PG_PW, TOKEN, HMAC, SINK_SECRET):
        assert secret not in result.stdout + result.stderr
    shown = json.loads(result.stdout)
    assert shown["env_file"] == str(tmp_path / ".env") and shown["env_file_found"]
    settings = shown["settings"]
    assert set(settings) == {f"NEWSFLOW_{name.upper()}" for name in Settings.model_fields}
    assert settings["NEWSFLOW_LOG_LEVEL"] == {"value": "DEBUG", "origin": "env"}
    assert settings["NEWSFLOW_WEBHOOK_TOKENS"] == {"value": [MASK, MASK], "origin": ".env"}
    assert settings["NEWSFLOW_WEBHOOK_HMAC_SECRET"] == {"value": MASK, "origin": "env"}
    assert settings["NEWSFLOW_CALLBACK_SECRET"] == {"value": None, "origin": "default"}
    assert settings["NEWSFLOW_REDIS_URL"]["value"] == f"redis://default:{MASK}@redis:6379/0"
    assert settings["NEWSFLOW_SINKS"]["value"] == [
        "jsonl:///srv/out.jsonl",
        f"postgresql://nf:{MASK}@db:5432/nf",
        f"https://consumer.example/in?token={MASK}",
    ]
    assert settings["NEWSFLOW_MAX_ARTICLE_BYTES"] == {"value": 10485760, "origin": "default"}
    assert shown["unknown_variables"] == ["NEWSFLOW_SINK_WEBHOK_SECRET"]

    text = run(tmp_path, "config", "show", NEWSFLOW_WEBHOOK_HMAC_SECRET=HMAC)
    assert text.returncode == 0, text.stderr
    assert HMAC not in text.stdout and TOKEN not in text.stdout
    line = next(x for x in text.stdout.splitlines() if x.startswith("NEWSFLOW_WEBHOOK_TOKENS "))
    assert line.split() == ["NEWSFLOW_WEBHOOK_TOKENS", ".env", f"{MASK},{MASK}"]
    assert "unknown variable NEWSFLOW_SINK_WEBHOK_SECRET" in text.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["config", "show"],
        ["backfill", "x.txt"],
        ["status"],
        ["serve"],
        ["worker"],
        ["db", "status"],
    ],
)
def test_a_bad_variable_is_one_clear_line_and_exit_2_for_every_command(tmp_path, command):
    result = run(
        tmp_path,
        *command,
        NEWSFLOW_MAX_ARTICLE_BYTES="abc",
        NEWSFLOW_REDIS_URL="redis://127.0.0.1:1/0",  # never reached: the check comes first
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"newsflow {command[0]}: invalid setting NEWSFLOW_MAX_ARTICLE_BYTES='abc' "
        "(from environment): Input should be a valid integer, unable to parse string as an "
        "integer\n"
    )
    assert "Traceback" not in result.stdout


def test_a_bad_secret_in_dotenv_is_named_without_its_value(tmp_path):
    (tmp_path / ".env").write_text(
        "NEWSFLOW_ENV=production\nNEWSFLOW_SINK_WEBHOOK_SECRET=tooshort\n"
    )
    result = run(tmp_path, "config", "show", NEWSFLOW_REDIS_URL="redis://redis:6379/0")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "newsflow config: invalid setting NEWSFLOW_SINK_WEBHOOK_SECRET (from .env): "
    )
    assert "tooshort" not in result.stderr
