"""Benchmarks: scripts run by `make bench` that write their figures to docs/BENCHMARKS.md.

Not tests: they build realistic volumes of data on throw-away databases and time the paths an
issue sets targets for. Each benchmark owns one marked section of docs/BENCHMARKS.md.
"""
