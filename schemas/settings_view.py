"""The effective settings as an operator sees them: value, origin, secrets masked; bad ones named.

Used by `newsflow config show` and by every command's start-up check (one line per bad
variable instead of a traceback). Masked everywhere: SecretStr fields, the password of any
URL (redis://:pw@host, postgresql://user:pw@host) and query parameters named like a secret.
Never prints the input of a secret field, even when it is the invalid one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from dotenv import dotenv_values
from pydantic import SecretStr, ValidationError

from schemas.settings import Settings, get_settings

PREFIX = "NEWSFLOW_"
MASK = "********"
Origin = Literal["default", "env", ".env"]
# NEWSFLOW_* variables that are not settings: the worker's internal queue list, test and
# chaos-script knobs. Anything else unknown is reported (a typo is otherwise silently ignored).
NOT_SETTINGS = ("NEWSFLOW_WORKER_QUEUES", "NEWSFLOW_TEST_", "NEWSFLOW_CHAOS_")
# Query parameters whose value is a credential (not `key`: the redis-stream sink's stream key).
_SECRET_PARAM = re.compile(
    r"secret|token|passw|pwd|api_?key|access_?key|signature|credential|^sig$|^auth$", re.I
)
_MAX_SHOWN_INPUT = 120


@dataclass(frozen=True)
class SettingView:
    """One setting as `config show` prints it."""

    variable: str
    value: Any  # JSON-able, secrets masked
    origin: Origin
    secret: bool


def variable_of(field: str) -> str:
    """`max_article_bytes` → `NEWSFLOW_MAX_ARTICLE_BYTES`."""
    return f"{PREFIX}{field.upper()}"


def is_secret_field(field: str) -> bool:
    """Whether the field holds a SecretStr (alone, optional or in a list)."""
    info = Settings.model_fields.get(field)
    return info is not None and "SecretStr" in str(info.annotation)


def mask_url(url: str) -> str:
    """The URL with its password and secret-looking query values replaced by the mask."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not parseable as a URL: mask it whole rather than risk a leak
        return MASK
    netloc, query = parts.netloc, parts.query
    if password is not None:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{host}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_SECRET_PARAM.search(name) for name, _ in pairs):
        query = urlencode(
            [(n, MASK if _SECRET_PARAM.search(n) else v) for n, v in pairs], safe="*:/,"
        )
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing secret: as written (urlunsplit would drop an empty "//")
    return (
        f"{parts.scheme}://{netloc}{parts.path}"
        + (f"?{query}" if query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


def mask_value(value: Any) -> Any:
    """A setting's value, JSON-able, with every secret in it masked."""
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = str(value)
    return mask_url(text) if "://" in text else text


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables a .env file sets (empty when there is none)."""
    if not path.is_file():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def origin_of(variable: str, environ: Mapping[str, str], dotenv: Mapping[str, str]) -> Origin:
    """Where pydantic-settings took the variable from: environment first, then .env."""
    wanted = variable.upper()
    if any(k.upper() == wanted for k in environ):
        return "env"
    if any(k.upper() == wanted for k in dotenv):
        return ".env"
    return "default"


def dotenv_path() -> Path:
    """The .env file the settings read (relative to the working directory)."""
    return Path(str(Settings.model_config.get("env_file") or ".env")).resolve()


def effective(
    settings: Settings, environ: Mapping[str, str], dotenv: Mapping[str, str]
) -> list[SettingView]:
    """Every setting in declaration order, with its masked value and origin."""
    return [
        SettingView(
            variable=variable_of(name),
            value=mask_value(getattr(settings, name)),
            origin=origin_of(variable_of(name), environ, dotenv),
            secret=is_secret_field(name),
        )
        for name in Settings.model_fields
    ]


def unknown_variables(environ: Mapping[str, str], dotenv: Mapping[str, str]) -> list[str]:
    """NEWSFLOW_* variables no setting reads (ignored by the settings: probably typos)."""
    known = {variable_of(name) for name in Settings.model_fields}
    found = {k.upper() for k in [*environ, *dotenv] if k.upper().startswith(PREFIX)}
    return sorted(v for v in found - known if not v.startswith(NOT_SETTINGS))


def error_lines(
    exc: ValidationError,
    environ: Mapping[str, str] | None = None,
    dotenv: Mapping[str, str] | None = None,
) -> list[str]:
    """One line per invalid setting: the variable, where it came from, what is wrong."""
    environ = os.environ if environ is None else environ
    dotenv = read_dotenv(dotenv_path()) if dotenv is None else dotenv
    lines = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:  # a check across settings: its message names the variables
            lines.append(f"invalid settings: {message}")
            continue
        field = str(error["loc"][0])
        variable = variable_of(field)
        origin = origin_of(variable, environ, dotenv)
        where = {"env": "environment", ".env": ".env", "default": "default"}[origin]
        shown = ""
        if not is_secret_field(field) and isinstance(error.get("input"), str | int | float):
            text = str(mask_value(str(error["input"])))
            if len(text) > _MAX_SHOWN_INPUT:
                text = text[:_MAX_SHOWN_INPUT] + "…"
            shown = f"={text!r}"
        lines.append(f"invalid setting {variable}{shown} (from {where}): {message}")
    return lines


def check_settings() -> list[str]:
    """Build the process settings; the error lines when they are invalid, else []."""
    try:
        get_settings()
    except ValidationError as exc:
        return error_lines(exc)
    return []


def is_settings_error(exc: ValidationError) -> bool:
    """Whether the error came from building the Settings (not from some other model)."""
    return exc.title == Settings.__name__
