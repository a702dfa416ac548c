"""``ConfigError``: a config or models file that cannot be used, one line per problem."""

from __future__ import annotations


class ConfigError(Exception):
    """``problems`` holds one line each; ``skipped`` says in one line what could not be checked.

    ``skipped`` is set where a later check could not run (the models file did not parse, a
    model has no usable id), so a user knows more may follow once these are fixed.
    """

    def __init__(self, problems: list[str], skipped: str | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.skipped = skipped
