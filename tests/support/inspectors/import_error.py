"""A plug-in whose own import fails: it needs a package that is not installed."""

import cc_missing_dependency  # noqa: F401
