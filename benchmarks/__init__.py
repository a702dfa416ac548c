"""Benchmark harness: each workload times our code next to a bare baseline in the same run."""
