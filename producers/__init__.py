"""Producers: the one enqueue path, and the backfill CLI built on it.

Imports `schemas` only: never `workers`, never spaCy. Tasks are sent by name.
"""
