"""Tensor repr in torch's format: element formatting, summarisation, line wrapping, suffixes.

Works on the host NumPy array of the tensor. Values are formatted from Python floats/ints
(exact widenings of the stored values), as torch's printer does, so the digits match torch's.
The one difference is the dtype name: `dtype=ember.float64` where torch prints
`dtype=torch.float64`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _dtype as D


class _Formatter:
    """Chooses int/fixed/scientific notation and the common width for a set of values."""

    __slots__ = ("floating", "int_mode", "sci_mode", "max_width", "precision")

    def __init__(self, a: np.ndarray, floating: bool, opts: dict) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        self.precision = p = opts["precision"]
        if not floating:
            if a.size:
                if a.dtype == np.bool_:
                    w = 5 if not a.all() else 4
                else:
                    w = max(len(str(int(a.max()))), len(str(int(a.min()))))
                self.max_width = max(1, w)
            return
        v = a.reshape(-1).astype(np.float64)
        nz = v[np.isfinite(v) & (v != 0)]
        if nz.size == 0:
            return
        absn = np.abs(nz)
        mn, mx = float(absn.min()), float(absn.max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        sci = opts["sci_mode"]
        self.sci_mode = (mx / mn > 1000.0 or mx > 1.0e8 or mn < 1.0e-4) if sci is None \
            else bool(sci)
        # formatted length grows with |value| (fixed) or |exponent| (scientific), plus the
        # sign: the extremes of each sign decide the width
        pos, neg = nz[nz > 0], nz[nz < 0]
        cands = [float(x) for arr in (pos, neg) if arr.size for x in (arr.min(), arr.max())]
        if self.sci_mode:
            w = max(len(f"{c:.{p}e}") for c in cands)
        elif self.int_mode:
            w = max(len(f"{c:.0f}") for c in cands) + 1
        else:
            w = max(len(f"{c:.{p}f}") for c in cands)
        self.max_width = max(self.max_width, w)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{self.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{self.precision}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _complex_str(val: complex, f1: _Formatter, f2: _Formatter) -> str:
    real_str = f1.format(val.real)
    imag_str = (f2.format(val.imag) + "j").lstrip()
    if imag_str[0] == "+" or imag_str[0] == "-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _scalar_str(a: np.ndarray, f1: _Formatter, f2: _Formatter | None) -> str:
    v = a.item()
    if f2 is not None:
        return _complex_str(complex(v), f1, f2)
    return f1.format(v)


def _vector_str(a: np.ndarray, indent: int, summarize: bool, f1: _Formatter,
                f2: _Formatter | None, opts: dict) -> str:
    element_length = f1.width() + 2
    if f2 is not None:
        element_length += f2.width() + 1
    per_line = max(1, math.floor((opts["linewidth"] - indent) / element_length))
    edge = opts["edgeitems"]
    fmt: Callable[[Any], str]
    if f2 is not None:
        def fmt(v: Any) -> str:
            return _complex_str(v, f1, f2)  # type: ignore[arg-type]
    else:
        fmt = f1.format
    if summarize and not edge:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        data = ([fmt(v) for v in a[:edge].tolist()] + [" ..."]
                + [fmt(v) for v in a[-edge:].tolist()])
    else:
        data = [fmt(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nd_str(a: np.ndarray, indent: int, summarize: bool, f1: _Formatter,
            f2: _Formatter | None, opts: dict) -> str:
    dim = a.ndim
    if dim == 0:
        return _scalar_str(a, f1, f2)
    if dim == 1:
        return _vector_str(a, indent, summarize, f1, f2, opts)
    edge = opts["edgeitems"]
    n = a.shape[0]
    if summarize and n > 2 * edge:
        slices = ([_nd_str(a[i], indent + 1, summarize, f1, f2, opts) for i in range(edge)]
                  + ["..."]
                  + [_nd_str(a[i], indent + 1, summarize, f1, f2, opts)
                     for i in range(n - edge, n)])
    else:
        slices = [_nd_str(a[i], indent + 1, summarize, f1, f2, opts) for i in range(n)]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized(a: np.ndarray, edge: int) -> np.ndarray:
    """The values a summarised print shows (torch's get_summarized_data), flattened."""
    if a.ndim == 0:
        return a.reshape(1)
    if a.ndim == 1:
        if a.shape[0] > 2 * edge:
            return np.concatenate((a[:edge], a[-edge:]))  # a[-0:] is all of a, as in torch
        return a
    if not edge:
        return a.reshape(-1)[:0]
    n = a.shape[0]
    rows = list(range(edge)) + list(range(n - edge, n)) if n > 2 * edge else range(n)
    return np.concatenate([_summarized(a[i], edge) for i in rows])


def _host_values(t: Any) -> np.ndarray:
    a = t._host()
    if t.dtype is D.bfloat16:
        a = a.astype(np.float32)
    return a


def _tensor_str(a: np.ndarray, indent: int, opts: dict) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > opts["threshold"]
    edge = opts["edgeitems"]
    if a.dtype.kind == "c":
        re, im = a.real, a.imag
        f1 = _Formatter(_summarized(re, edge) if summarize else re, True, opts)
        f2 = _Formatter(_summarized(im, edge) if summarize else im, True, opts)
        return _nd_str(a, indent, summarize, f1, f2, opts)
    floating = a.dtype.kind == "f"
    f = _Formatter(_summarized(a, edge) if summarize else a, floating, opts)
    return _nd_str(a, indent, summarize, f, None, opts)


def _add_suffixes(tensor_str: str, suffixes: list, indent: int, force_newline: bool,
                  linewidth: int) -> str:
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        n = len(suffix)
        if force_newline or last_line_len + n + 2 > linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + n
            force_newline = False
        else:
            parts.append(", " + suffix)
            last_line_len += n + 2
    parts.append(")")
    return "".join(parts)


def _param_kind(cls: type) -> tuple[bool, bool]:
    """(printed as plain `tensor(`, wrapped in `Parameter(...)`) for a tensor class."""
    from ._tensor import Tensor

    if cls is Tensor:
        return True, False
    for c in cls.__mro__:
        if c.__name__ == "Parameter" and c.__module__.startswith("ember"):
            return cls is c, cls is not c
    return False, False


def format_tensor(t: Any, opts: dict, tensor_contents: str | None = None) -> str:
    """torch's Tensor.__repr__ for dense tensors (meta, empty, 0-d, any dtype, any device)."""
    plain, wrap_param = _param_kind(type(t))
    prefix = "tensor(" if plain else f"{type(t).__name__}("
    indent = len(prefix)
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    dt = t.dtype
    default = D.get_default_dtype()
    has_default_dtype = dt is default or dt is D.default_complex() or dt is D.int64 \
        or dt is D.bool_
    shape = tuple(t._data.shape)
    if dev.type == "meta":
        suffixes.append(f"size={shape}")
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        body = "..."
    elif t._data.size == 0:
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if not opts["edgeitems"]:
            suffixes.append(f"size={shape}")
        if not has_default_dtype:
            suffixes.append(f"dtype={dt!r}")
        body = "" if tensor_contents is not None else _tensor_str(_host_values(t), indent, opts)
    if tensor_contents is not None:
        body = tensor_contents
    fn = t.grad_fn
    if fn is not None:
        name = fn.name() if hasattr(fn, "name") else type(fn).__name__
        suffixes.append(f"grad_fn=<{name}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    s = _add_suffixes(prefix + body, suffixes, indent, False, opts["linewidth"])
    if wrap_param:
        s = f"Parameter({s})"
    return s
