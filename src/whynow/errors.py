"""The errors a user can act on: every one says what is wrong, where, and what to do.

    WhynowError                 base: shown without a traceback, exit code 1
    ├── ModelError              one or more problems in a model file (file, line, rule, caret)
    ├── DataError               a problem in the input data (file, table, column, rows)
    └── UsageError              a command line that would do harm as given (exit code 2)

Anything else raised inside whynow is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["DataError", "ModelError", "ModelProblem", "UsageError", "WhynowError", "did_you_mean"]


class WhynowError(Exception):
    """An error caused by the user's input, reported in plain words (exit code 1)."""


@dataclass(frozen=True)
class ModelProblem:
    """One problem in a model file.

    `text` is the offending text (a condition, a template, a value); `start`/`end` are the character
    offsets inside it that the caret marks.
    """

    file: str
    line: int | None
    rule: str | None
    message: str
    text: str | None = None
    start: int | None = None
    end: int | None = None

    def render(self) -> str:
        """The problem as the user reads it: a location line, then the text with a caret under the spot."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        head = f"{where}: {self.rule}: {self.message}" if self.rule else f"{where}: {self.message}"
        if self.text is None or not self.text.strip():
            return head
        out = [head]
        offset = 0  # a multi-line condition (`when: |`) shows each line, the caret under the right one
        for text_line in self.text.rstrip("\n").split("\n"):
            out.append(f"    {text_line}")
            end_of_line = offset + len(text_line)
            if self.start is not None and offset <= self.start <= end_of_line:
                stop = min(self.end if self.end is not None else self.start, end_of_line - 1)
                out.append("    " + " " * (self.start - offset) + "^" * max(1, stop - self.start + 1))
            offset = end_of_line + 1
        return "\n".join(out)


class ModelError(WhynowError):
    """Every problem found in a model, reported together."""

    def __init__(self, problems: Sequence[ModelProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        body = "\n".join(p.render() for p in self.problems)
        return f"{body}\n{count} {noun} in the model; fix {'it' if count == 1 else 'them'} and run again."


class DataError(WhynowError):
    """A problem in the input data: the message names the file, table, column or rows."""


class StoreBusy(DataError):
    """The store is held by another writer (or another process) longer than the wait allows: try again later."""


class UsageError(WhynowError):
    """Options that cannot go together, such as an output that would overwrite an input (exit code 2)."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' — did you mean …?' suffix for a near-miss name, or ''.

    >>> did_you_mean("industy", ["industry", "employees"])
    " — did you mean 'industry'?"
    >>> did_you_mean("zzz", ["industry"])
    ''
    """
    pool = sorted(set(choices))
    folded = {c.lower(): c for c in pool}
    if name.lower() in folded and folded[name.lower()] != name:
        return f" — did you mean '{folded[name.lower()]}'?"
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.7)
    return f" — did you mean '{close[0]}'?" if close else ""
