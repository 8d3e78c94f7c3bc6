"""Config helpers: field validation, command-line overrides and the config hash.

Every experiment's config is an ``ml_collections.ConfigDict`` built by ``get_config(preset)``.
Validation raises ``ConfigError`` naming the field; the command line turns it into one line on
stderr and exit code 2, before anything is compiled or written.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import ml_collections

ConfigDict = ml_collections.ConfigDict


class ConfigError(ValueError):
    """An invalid config field: ``field`` is its dotted path."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


# --------------------------------------------------------------------------- field access


def get_field(cfg: ConfigDict, path: str) -> Any:
    """The value at a dotted ``path``; ``ConfigError`` if there is none."""
    node: Any = cfg
    for i, part in enumerate(path.split(".")):
        if not isinstance(node, ConfigDict) or part not in node:
            prefix = ".".join(path.split(".")[:i])
            known = sorted(node.keys()) if isinstance(node, ConfigDict) else []
            where = f" under '{prefix}'" if prefix else ""
            raise ConfigError(path, f"unknown config field (known{where}: {', '.join(known)})")
        node = node[part]
    return node


def flatten(cfg: ConfigDict, prefix: str = "") -> dict[str, Any]:
    """``{"train.steps": 100, ...}`` for every leaf of ``cfg``."""
    out: dict[str, Any] = {}
    for name, value in cfg.items():
        path = f"{prefix}{name}"
        if isinstance(value, ConfigDict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


# --------------------------------------------------------------------------- validators


def require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ConfigError(field, message)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(cfg: ConfigDict, path: str) -> int:
    value = get_field(cfg, path)
    require(_is_int(value) and value > 0, path, f"must be a positive integer, got {value!r}")
    return value


def nonnegative_int(cfg: ConfigDict, path: str) -> int:
    value = get_field(cfg, path)
    require(_is_int(value) and value >= 0, path, f"must be a non-negative integer, got {value!r}")
    return value


def finite_float(cfg: ConfigDict, path: str, *, low: float | None = None,
                 positive: bool = False) -> float:
    value = get_field(cfg, path)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    require(ok, path, f"must be a finite number, got {value!r}")
    if positive:
        require(value > 0, path, f"must be positive, got {value!r}")
    if low is not None:
        require(value >= low, path, f"must be >= {low}, got {value!r}")
    return float(value)


def one_of(cfg: ConfigDict, path: str, choices: Iterable[str]) -> str:
    value = get_field(cfg, path)
    choices = list(choices)
    require(value in choices, path, f"unknown value {value!r} (choose from: {', '.join(choices)})")
    return value


def positive_int_list(cfg: ConfigDict, path: str, *, allow_empty: bool = True, unique: bool = False,
                      increasing: bool = False) -> tuple[int, ...]:
    """A list of positive integers; ``unique``: no value twice; ``increasing``: strictly increasing
    (sorted and unique: the order a sweep's slope or table reads)."""
    value = get_field(cfg, path)
    ok = isinstance(value, (list, tuple)) and all(_is_int(v) and v > 0 for v in value)
    require(ok, path, f"must be a list of positive integers, got {value!r}")
    require(allow_empty or len(value) > 0, path, "must not be empty")
    return _ordered(tuple(value), path, unique=unique, increasing=increasing)


def finite_float_list(cfg: ConfigDict, path: str, *, positive: bool = False,
                      allow_empty: bool = True, unique: bool = False, increasing: bool = False,
                      low: float | None = None, high: float | None = None) -> tuple[float, ...]:
    """A list of finite numbers (``positive``; each in [``low``, ``high``] where given); ``unique`` and
    ``increasing`` as in ``positive_int_list``."""
    value = get_field(cfg, path)
    ok = isinstance(value, (list, tuple)) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        and (v > 0 or not positive) for v in value)
    kind = "positive finite numbers" if positive else "finite numbers"
    require(ok, path, f"must be a list of {kind}, got {value!r}")
    require(allow_empty or len(value) > 0, path, "must not be empty")
    values = tuple(float(v) for v in value)
    outside = [v for v in values if (low is not None and v < low) or (high is not None and v > high)]
    require(not outside, path, f"every value must lie in [{_bound(low, '-inf')}, {_bound(high, 'inf')}], "
                               f"got {outside[0]:g}" if outside else "")
    return _ordered(values, path, unique=unique, increasing=increasing)


def choice_list(cfg: ConfigDict, path: str, choices: Iterable[str], *, allow_empty: bool = False,
                unique: bool = True) -> tuple[str, ...]:
    """A list of names from ``choices`` (each once unless ``unique=False``)."""
    value, choices = get_field(cfg, path), list(choices)
    ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) and v in choices for v in value)
    require(ok, path, f"must be a list of {', '.join(choices)}, got {value!r}")
    require(allow_empty or len(value) > 0, path, "must not be empty")
    return _ordered(tuple(value), path, unique=unique, increasing=False)


def boolean(cfg: ConfigDict, path: str) -> bool:
    value = get_field(cfg, path)
    require(isinstance(value, bool), path, f"must be true or false, got {value!r}")
    return value


def int_in_range(cfg: ConfigDict, path: str, low: int, high: int) -> int:
    """An integer in [``low``, ``high``)."""
    value = get_field(cfg, path)
    require(_is_int(value) and low <= value < high, path,
            f"must be an integer in [{low}, {high}), got {value!r}")
    return value


SEED_LIMIT = 2 ** 32   # jax.random.key takes a uint32: a larger seed wraps or overflows


def seed(cfg: ConfigDict, path: str = "seed") -> int:
    """A random seed: an integer in [0, 2³²)."""
    value = get_field(cfg, path)
    require(_is_int(value) and 0 <= value < SEED_LIMIT, path,
            f"must be an integer in [0, 2**32) (a uint32 random key), got {value!r}")
    return value


def contains(values: Sequence[Any], wanted: Any, path: str, why: str) -> None:
    """``wanted`` must be one of ``values`` (a value a summary or claim reads)."""
    require(wanted in values, path, f"must contain {wanted!r}: {why}")


def count_in(values: Sequence[float], low: float, high: float) -> int:
    """How many of ``values`` lie in [``low``, ``high``] (a fit's range)."""
    return sum(1 for v in values if low <= v <= high)


def _bound(value: float | None, default: str) -> str:
    return default if value is None else f"{value:g}"


def _ordered(values: tuple, path: str, *, unique: bool, increasing: bool) -> tuple:
    """``values`` unchanged, after checking they are unique / strictly increasing."""
    if unique or increasing:
        seen = [v for i, v in enumerate(values) if v in values[:i]]
        require(not seen, path, f"lists {seen[0]!r} twice (each value once)" if seen else "")
    if increasing:
        down = [(a, b) for a, b in zip(values, values[1:]) if not a < b]
        require(not down, path, f"must be in increasing order, got {down[0][0]!r} before "
                                f"{down[0][1]!r}" if down else "")
    return values


# --------------------------------------------------------------------------- overrides


def _parse_bool(raw: str, path: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(path, f"expected a boolean (true/false), got {raw!r}")


def _parse_scalar(raw: str, template: Any, path: str) -> Any:
    if isinstance(template, bool):
        return _parse_bool(raw, path)
    if isinstance(template, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(path, f"expected an integer, got {raw!r}") from None
    if isinstance(template, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(path, f"expected a number, got {raw!r}") from None
    if isinstance(template, str):
        return raw
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw


def parse_value(raw: str, template: Any, path: str) -> Any:
    """Parse ``raw`` (a command-line string) into the type of the field's current value.

    Lists are written ``1,2,3`` or ``(1, 2, 3)``; their items take the type of the first default item.
    """
    if not isinstance(template, (list, tuple)):
        return _parse_scalar(raw, template, path)
    items = [item.strip() for item in raw.strip().strip("()[]").split(",") if item.strip()]
    element = template[0] if len(template) else None
    return tuple(_parse_scalar(item, element, path) for item in items)


def apply_overrides(cfg: ConfigDict, overrides: Sequence[tuple[str, str]]) -> ConfigDict:
    """Set each dotted ``path`` to its parsed string value; unknown paths raise ``ConfigError``."""
    cfg = ml_collections.ConfigDict(cfg.to_dict())
    for path, raw in overrides:
        current = get_field(cfg, path)
        if isinstance(current, ConfigDict):
            raise ConfigError(path, "is a group of fields; set one of its fields instead")
        value = parse_value(raw, current, path)
        parent_path, _, leaf = path.rpartition(".")
        parent = get_field(cfg, parent_path) if parent_path else cfg
        try:
            parent[leaf] = value
        except TypeError as error:
            raise ConfigError(path, f"wrong type: {error}") from None
    return cfg


# --------------------------------------------------------------------------- hashing


def to_jsonable(cfg: ConfigDict) -> dict[str, Any]:
    """The config as plain JSON types (tuples become lists)."""
    return json.loads(json.dumps(cfg.to_dict(), default=list))


def config_hash(cfg: ConfigDict, length: int = 10) -> str:
    """A short stable hash of every field: a run directory's identity."""
    text = json.dumps(to_jsonable(cfg), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
