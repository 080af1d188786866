"""Where things are in a model file: the line of every key and a readable name for every rule.

Problems found anywhere (YAML, schema, conditions) are turned into `ModelProblem`s here, so every
message carries the file, the line and the rule's name the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from whynow.errors import ModelProblem

Path = tuple[str | int, ...]

# A list or mapping entry of these sections is a "rule" with a name the user gave it.
_NAMED_LISTS: dict[Path, tuple[str, str]] = {
    ("fit", "account"): ("account fit rule", "name"),
    ("fit", "contact"): ("contact fit rule", "name"),
    ("engagement", "rules"): ("engagement rule", "name"),
    ("journey",): ("journey stage", "stage"),
    ("badges", "definitions"): ("badge", "id"),
}
_NAMED_MAPPINGS: dict[Path, str] = {
    ("signals",): "signal",
    ("buying_committee", "roles"): "role",
    ("accounts", "mqa_when_tier"): "mqa_when_tier for tier",
    ("columns",): "columns of",
}


@dataclass
class Locator:
    """Maps a path in the model (`("fit", "account", 0, "when")`) to its line and rule name."""

    file: str
    data: Any = None
    lines: dict[Path, int] = field(default_factory=dict)
    # Lists whose invalid items were set aside: list path -> original index of each remaining item.
    kept: dict[Path, list[int]] = field(default_factory=dict)

    def forget_item(self, list_path: Path, index: int, length: int) -> None:
        self.kept.setdefault(list_path, list(range(length))).pop(index)

    def original(self, path: Path) -> Path:
        """A path in the pruned model, as a path in the file."""
        out: list[str | int] = []
        for key in path:
            prefix = tuple(out)
            if isinstance(key, int) and prefix in self.kept and key < len(self.kept[prefix]):
                key = self.kept[prefix][key]
            out.append(key)
        return tuple(out)

    def line(self, path: Path) -> int | None:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def rule(self, path: Path) -> str | None:
        """The most specific rule the path is inside, e.g. "account fit rule 'Target industry'"."""
        best: str | None = None
        for end in range(1, len(path)):
            prefix, key = path[:end], path[end]
            if prefix in _NAMED_LISTS and isinstance(key, int):
                what, name_key = _NAMED_LISTS[prefix]
                entry = _get(self.data, (*prefix, key))
                name = entry.get(name_key) if isinstance(entry, Mapping) else None
                best = f"{what} '{name}'" if name is not None else f"{what} #{key + 1}"
            elif prefix in _NAMED_MAPPINGS:
                best = f"{_NAMED_MAPPINGS[prefix]} '{key}'"
        if best is None and path:
            best = ".".join(str(p) for p in path if not isinstance(p, int)) or None
        return best

    def problem(
        self,
        path: Path,
        message: str,
        text: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> ModelProblem:
        path = self.original(path)
        return ModelProblem(self.file, self.line(path), self.rule(path), message, text, start, end)


def _get(data: Any, path: Path) -> Any:
    for key in path:
        if isinstance(data, Mapping) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def get_path(data: Any, path: Path) -> Any:
    """The value at `path` in the raw YAML data, or None."""
    return _get(data, path)
