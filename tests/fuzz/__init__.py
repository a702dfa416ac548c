"""Fuzzing the front door: every parser that reads what a user types, pastes or edits.

The targets (``tests/fuzz/targets.py``) are the config loader (YAML and JSON, structured and
raw), every page's URL parser and the codec, the Layers regex filter, and the Overview's
expression inputs (budgets, filter bounds, the map's search box). Each target's property is
the same: no exception escapes other than the target's one-line error type, and no single input
takes longer than ``harness.LIMIT_S``. The tests here run a few thousand inputs in total;
``python -m benchmarks --only P8`` runs the same properties on at least 100,000.
"""
