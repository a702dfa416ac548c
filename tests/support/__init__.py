"""Helpers shared by the tests (and the benchmarks): launchers, data, plug-ins."""
