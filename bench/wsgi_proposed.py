"""Roper's WSGI application with the benchmark's proposed fixes (bench/proposed.py) applied,
for the morning rush of `python -m bench.run --proposed`."""

from bench.proposed import apply
from roper.wsgi import application

apply()

__all__ = ["application"]
