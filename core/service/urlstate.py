"""A page's view as URL query parameters: parse with validation, encode back.

Pure functions over plain dicts, so the rules are tested without Streamlit.
A page declares a schema ``{name: Param}``; :func:`parse` turns the URL's
strings into typed values and lists a warning for each malformed one (which
then falls back to its default); :func:`encode` writes values back as strings,
leaving defaults out so that links stay short.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence


@dataclass(frozen=True)
class Param:
    """One query parameter: how to read it, its default and what is allowed.

    ``kind`` is one of "float", "int", "str", "choice", "choices" (a comma
    separated subset of ``options``), "range" (two numbers "lo,hi").
    """

    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    options: Sequence[Any] = field(default_factory=tuple)

    def read(self, raw: str) -> Any:
        """The typed value of ``raw``; raises ValueError with a reason when malformed."""
        if self.kind == "float":
            return self._bounded(float(raw))
        if self.kind == "int":
            return int(self._bounded(int(raw)))
        if self.kind == "str":
            if len(raw) > 200:
                raise ValueError("longer than 200 characters")
            return raw
        if self.kind == "choice":
            return self._option(raw)
        if self.kind == "choices":
            return [self._option(part) for part in raw.split(",") if part != ""]
        if self.kind == "range":
            parts = raw.split(",")
            if len(parts) != 2:
                raise ValueError("expected two numbers 'low,high'")
            lo, hi = (self._bounded(_number(p)) for p in parts)
            if lo > hi:
                raise ValueError("low is above high")
            return (lo, hi)
        raise TypeError(f"unknown parameter kind {self.kind!r}")

    def write(self, value: Any) -> str:
        if value is None:
            return ""
        if self.kind == "choices":
            return ",".join(str(v) for v in value)
        if self.kind == "range":
            return f"{value[0]},{value[1]}"
        return str(value)

    def _bounded(self, number: float) -> float:
        if number != number:  # NaN
            raise ValueError("not a number")
        if self.lo is not None and number < self.lo:
            raise ValueError(f"below the lowest allowed, {self.lo:g}")
        if self.hi is not None and number > self.hi:
            raise ValueError(f"above the highest allowed, {self.hi:g}")
        return number

    def _option(self, raw: str) -> Any:
        for option in self.options:
            if str(option) == raw:
                return option
        shown = ", ".join(str(o) for o in list(self.options)[:8])
        raise ValueError(f"not one of {shown}{', ...' if len(self.options) > 8 else ''}")


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def parse(params: Mapping[str, Any], schema: Mapping[str, Param]) -> tuple[dict[str, Any], list[str]]:
    """Typed values for every name in ``schema`` and a warning per malformed parameter.

    Parameters not in the schema are ignored (other pages own them).
    """
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for name, spec in schema.items():
        raw = params.get(name)
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else None
        if raw is None:
            values[name] = spec.default
            continue
        try:
            values[name] = spec.read(str(raw))
        except (ValueError, TypeError) as err:
            values[name] = spec.default
            default = spec.write(spec.default)
            warnings.append(f"Ignored URL parameter {name}={raw!r} ({err}); "
                            + (f"using the default {default!r}." if default else "left unset."))
    return values, warnings


def encode(values: Mapping[str, Any], schema: Mapping[str, Param]) -> dict[str, str]:
    """Query parameters for ``values``, without those equal to their default."""
    out = {}
    for name, spec in schema.items():
        value = values.get(name, spec.default)
        normalised = tuple(value) if isinstance(value, list) else value
        default = tuple(spec.default) if isinstance(spec.default, list) else spec.default
        if normalised != default:
            out[name] = spec.write(value)
    return out
