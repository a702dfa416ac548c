"""The bad-input corpus: hostile or broken input the app must refuse in one line and survive.

- ``configs/<case>/``: an ``experiments.yaml`` (plus the models file it names, if any) and
  ``expect.txt``, a substring of the one-line problem that names the file, field or model. A few
  cases are generated at test time instead of committed (huge or deeply nested files); their
  generators live in ``tests/integration/test_bad_inputs.py`` (``GENERATED``).
- ``urls.txt``: ``path?query => text the page must show`` (usually the notice), one per line.
- ``inspectors/``: tiny inspector plug-ins that fail in each way a user's plug-in can
  (``cases.yaml`` lists them with the expected message).
- ``renderer.py``: a small stand-in for the Dash renderer (layout walking, callback payloads,
  background-callback polling) used by the integration tests to talk to a real app.
"""
