"""Benchmarks (not tests): each script prints its figures and records them in docs/benchmarks.md."""
