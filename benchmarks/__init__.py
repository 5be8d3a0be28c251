"""Benchmark harness for issue 8: `python -m benchmarks.run` (or `make bench`).

Each stage runs in its own subprocess (`python -m benchmarks.stages`); the parent times it and
samples the peak RSS of its whole process tree from /proc.
"""
