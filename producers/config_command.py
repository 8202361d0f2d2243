"""`newsflow config show [--json]`, and the settings check every producer command starts with."""

from __future__ import annotations

import argparse
import json
import os
import sys

from schemas.settings import get_settings
from schemas.settings_view import (
    check_settings,
    dotenv_path,
    effective,
    read_dotenv,
    unknown_variables,
)


def add_config_arguments(config: argparse.ArgumentParser) -> None:
    """`config show [--json]`."""
    actions = config.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser(
        "show", help="every NEWSFLOW_ setting: its value (secrets masked) and where it came from"
    )
    show.add_argument("--json", action="store_true", help="one JSON document")


def settings_ok(prog: str) -> bool:
    """Build the settings; on a bad variable print one line per problem and return False."""
    lines = check_settings()
    for line in lines:
        print(f"{prog}: {line}", file=sys.stderr)
    return not lines


def main(args: argparse.Namespace) -> int:
    """Print the effective configuration."""
    environ = dict(os.environ)
    path = dotenv_path()
    dotenv = read_dotenv(path)
    views = effective(get_settings(), environ, dotenv)
    unknown = unknown_variables(environ, dotenv)
    if args.json:
        document = {
            "env_file": str(path),
            "env_file_found": path.is_file(),
            "settings": {v.variable: {"value": v.value, "origin": v.origin} for v in views},
            "unknown_variables": unknown,
        }
        print(json.dumps(document, indent=2))
        return 0
    print(f"# env file: {path} ({'read' if path.is_file() else 'not found'})")
    width = max(len(v.variable) for v in views)
    for view in views:
        value = view.value
        text = ",".join(map(str, value)) if isinstance(value, list) else value
        text = "" if text is None else text
        print(f"{view.variable:<{width}}  {view.origin:<7}  {text}")
    for variable in unknown:
        print(f"# unknown variable {variable}: no setting reads it (a typo?)", file=sys.stderr)
    return 0
