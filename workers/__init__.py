"""Celery workers and the pipeline stages: clean, extract (NLP), publish (sinks).

Imports `schemas` only, never `producers`. Only `app.py` and `tasks.py` import Celery.
"""
