"""Operator schemas for ember.library: parsing torch's schema strings and inferring one from a
type-annotated Python function."""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .._tensor import Tensor


@dataclass
class _Arg:
    name: str
    type: str
    default: Any = None
    has_default: bool = False
    kwarg_only: bool = False
    mutable: bool = False


_ARG = re.compile(
    r"^\s*(?P<type>[A-Za-z_][\w\[\]?]*)\s*(?P<alias>\([a-z0-9]+!?\))?"
    r"(?P<tail>[\[\]?]*)\s+(?P<name>\w+)\s*(?:=\s*(?P<default>.+?))?\s*$"
)


def _parse_default(text: str) -> Any:
    t = text.strip()
    consts = {"None": None, "True": True, "False": False}
    if t in consts:
        return consts[t]
    if t.startswith(("[", "(")):
        inner = t[1:-1].strip()
        return [_parse_default(p) for p in inner.split(",")] if inner else []
    if t.startswith(("'", '"')):
        return t[1:-1]
    try:
        return int(t)
    except ValueError:
        return float(t)


def _split_top(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


class Schema:
    """A parsed operator schema: `(Tensor x, int n=2, *, bool flag=False) -> Tensor`."""

    def __init__(self, text: str) -> None:
        m = re.fullmatch(r"\s*(?P<name>[\w:.]*)\s*\((?P<args>.*)\)\s*->\s*(?P<ret>.+?)\s*", text)
        if m is None:
            raise RuntimeError(f"invalid schema {text!r}: expected '(args) -> returns'")
        self.args: list[_Arg] = []
        kw_only = False
        for part in _split_top(m.group("args")):
            if part.strip() == "*":
                kw_only = True
                continue
            a = _ARG.match(part)
            if a is None:
                raise RuntimeError(f"invalid schema {text!r}: cannot parse argument {part!r}")
            alias = a.group("alias") or ""
            self.args.append(
                _Arg(
                    a.group("name"),
                    a.group("type") + a.group("tail"),
                    _parse_default(a.group("default")) if a.group("default") is not None else None,
                    a.group("default") is not None,
                    kw_only,
                    "!" in alias,
                )
            )
        ret = m.group("ret").strip()
        if ret.startswith("("):
            self.returns = [r.strip().split(" ")[0] for r in _split_top(ret[1:-1])]
            self.returns_tuple = True
        else:
            self.returns = [ret.split(" ")[0]]
            self.returns_tuple = False
        self.text = text

    def bind(self, opname: str, args: tuple, kwargs: dict) -> list:
        """All arguments in schema order, defaults filled (what setup_context sees as inputs)."""
        positional = [a for a in self.args if not a.kwarg_only]
        if len(args) > len(positional):
            raise TypeError(
                f"{opname}() takes {len(positional)} positional arguments but "
                f"{len(args)} were given"
            )
        out = list(args)
        for a in self.args[len(args) :]:
            if a.name in kwargs:
                out.append(kwargs[a.name])
            elif a.has_default:
                out.append(a.default)
            else:
                raise TypeError(f"{opname}() missing required argument '{a.name}'")
        extra = set(kwargs) - {a.name for a in self.args[len(args) :]}
        if extra:
            raise TypeError(f"{opname}() got unexpected keyword argument(s) {sorted(extra)}")
        return out

    def __str__(self) -> str:
        return self.text


_PY_TO_SCHEMA = {int: "SymInt", float: "float", bool: "bool", str: "str"}


def _annotation_type(ann: Any, where: str) -> str:
    if ann is Tensor or (isinstance(ann, type) and issubclass(ann, Tensor)):
        return "Tensor"
    if ann in _PY_TO_SCHEMA:
        return _PY_TO_SCHEMA[ann]
    origin, targs = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        rest = [t for t in targs if t is not type(None)]
        if len(rest) == 1 and len(targs) == 2:
            return _annotation_type(rest[0], where) + "?"
    if origin in (list, Sequence, typing.Sequence) and len(targs) == 1:  # noqa: UP006
        return _annotation_type(targs[0], where) + "[]"
    raise ValueError(f"infer_schema: unsupported type annotation {ann!r} for {where}")


def _render_default(v: Any) -> str:
    """A default as torch prints it in a schema (1.0 -> '1.', 'a' -> '"a"')."""
    if isinstance(v, float) and v.is_integer():
        return f"{int(v)}."
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_render_default(x) for x in v) + "]"
    return repr(v)


def infer_schema(
    fn: Callable, *, mutates_args: Iterable[str] | str = (), op_name: str | None = None
) -> str:
    """The schema string of a type-annotated Python function, as torch.library infers it."""
    import inspect

    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable string annotations: use them raw
        hints = dict(getattr(fn, "__annotations__", {}))
    mut = set([mutates_args] if isinstance(mutates_args, str) else mutates_args)
    parts, kw_seen, idx = [], False, 0
    for p in sig.parameters.values():
        if p.name not in hints:
            raise ValueError(
                f"infer_schema(func): Parameter {p.name} must have a type "
                f"annotation. Got func with signature {sig})"
            )
        if p.kind == p.KEYWORD_ONLY and not kw_seen:
            parts.append("*")
            kw_seen = True
        t = _annotation_type(hints[p.name], f"parameter {p.name}")
        if p.name in mut:
            t = t.replace("Tensor", f"Tensor(a{idx}!)", 1)
            idx += 1
        d = "" if p.default is p.empty else f"={_render_default(p.default)}"
        parts.append(f"{t} {p.name}{d}")
    ret = hints.get("return", type(None))
    if ret is type(None) or ret is None:
        rs = "()"
    elif typing.get_origin(ret) is tuple:
        rs = "(" + ", ".join(_annotation_type(t, "the return") for t in typing.get_args(ret)) + ")"
    else:
        rs = _annotation_type(ret, "the return")
    return f"{op_name or ''}({', '.join(parts)}) -> {rs}"
