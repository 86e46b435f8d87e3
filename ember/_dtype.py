"""Dtypes with torch's names, and torch's type promotion (weak Python scalars, 0-d tensors)."""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

# Categories order the promotion lattice: bool < integer < floating < complex. Quantized dtypes
# sit outside it (QUANT is below BOOL so "category < FLOAT" checks refuse gradients for them).
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3
QUANT = -1


class dtype:
    """A tensor element type; mirrors torch.dtype (name, itemsize, is_floating_point...)."""

    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_rank")

    def __init__(self, name: str, np_dtype: Any, category: int, signed: bool, rank: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_signed = signed
        self._rank = rank

    @property
    def is_floating_point(self) -> bool:
        return self.category == FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == COMPLEX

    def to_real(self) -> dtype:
        """The real counterpart of a complex dtype; other dtypes return themselves."""
        return _TO_REAL.get(self, self)

    def to_complex(self) -> dtype:
        """The complex counterpart of a floating dtype (complex32 for float16 is not supported)."""
        r = _TO_COMPLEX.get(self)
        if r is None:
            if self is float16:
                raise NotImplementedError("ember has no complex32 (ComplexHalf): the complex "
                                          "counterpart of float16 is not supported")
            raise RuntimeError(f"Unknown Complex ScalarType for {_SCALAR_NAMES[self.name]}")
        return r

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self) -> tuple:
        return (_by_name, (self.name,))  # unpickles to the module-level singleton

    def __hash__(self) -> int:
        return id(self)


bool_ = dtype("bool", np.bool_, BOOL, False, 0)
uint8 = dtype("uint8", np.uint8, INT, False, 1)
int8 = dtype("int8", np.int8, INT, True, 1)
int16 = dtype("int16", np.int16, INT, True, 2)
int32 = dtype("int32", np.int32, INT, True, 3)
int64 = dtype("int64", np.int64, INT, True, 4)
float16 = dtype("float16", np.float16, FLOAT, True, 1)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, FLOAT, True, 1)
float32 = dtype("float32", np.float32, FLOAT, True, 3)
float64 = dtype("float64", np.float64, FLOAT, True, 4)
complex64 = dtype("complex64", np.complex64, COMPLEX, True, 3)
complex128 = dtype("complex128", np.complex128, COMPLEX, True, 4)

class _QuantizedDtype(dtype):
    """A quantized dtype. It has no NumPy dtype of its own: ops that would build a plain tensor
    of it (ember.zeros(..., dtype=ember.qint8), x.to(ember.qint8)) read `.np` and get torch's
    RuntimeError instead of a tensor of raw integers. Quantized code reads QUANT_INFO."""

    __slots__ = ()

    def __init__(self, name: str, np_dtype: Any, signed: bool, rank: int) -> None:
        slot = dtype.__dict__
        info = np.dtype(np_dtype)
        for attr, value in (("name", name), ("np", info), ("itemsize", info.itemsize),
                            ("category", QUANT), ("is_signed", signed), ("_rank", rank)):
            slot[attr].__set__(self, value)

    @property  # type: ignore[override]
    def np(self) -> Any:
        raise RuntimeError(f"{self!r} is a quantized dtype: plain tensors of it cannot be created "
                           "or converted to; use ember.quantize_per_tensor, "
                           "ember.quantize_per_channel or ember._make_per_tensor_quantized_tensor")


# Quantized dtypes: a quantized tensor's backend array holds the integers of QUANT_INFO's dtype
# (quint4x2 unpacked, one value 0..15 per byte); scale and zero point live on the tensor
# (ember/_quantized.py).
qint8 = _QuantizedDtype("qint8", np.int8, True, 1)
quint8 = _QuantizedDtype("quint8", np.uint8, False, 1)
qint32 = _QuantizedDtype("qint32", np.int32, True, 3)
quint4x2 = _QuantizedDtype("quint4x2", np.uint8, False, 1)
QUANTIZED = (qint8, quint8, qint32, quint4x2)
# (the integer dtype holding a quantized dtype's values, its quant_min, its quant_max)
QUANT_INFO: dict[dtype, tuple[dtype, int, int]] = {
    qint8: (int8, -128, 127), quint8: (uint8, 0, 255), qint32: (int32, -2**31, 2**31 - 1),
    quint4x2: (uint8, 0, 15)}

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128)
ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
           "short": int16, "cfloat": complex64, "cdouble": complex128, "bool": bool_}

_BY_NAME = {d.name: d for d in ALL + QUANTIZED}
_TO_REAL = {complex64: float32, complex128: float64}
_TO_COMPLEX = {bfloat16: complex64, float32: complex64, float64: complex128,
               complex64: complex64, complex128: complex128}
_SCALAR_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                 "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
                 "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble", "qint8": "QInt8", "quint8": "QUInt8",
                 "qint32": "QInt32", "quint4x2": "QUInt4x2"}


def _by_name(name: str) -> dtype:
    """The dtype singleton called `name` (what unpickling a dtype calls)."""
    return _BY_NAME[name]


_FROM_NP: dict[Any, dtype] = {d.np: d for d in ALL}
_FROM_NP.update({d.np.type: d for d in ALL})


def from_numpy_dtype(npd: Any) -> dtype:
    """The ember dtype for a NumPy dtype; TypeError for the ones torch does not have."""
    try:
        return _FROM_NP[npd]
    except KeyError:
        pass
    try:
        return _FROM_NP[np.dtype(npd)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported types are: "
            "float64, float32, float16, bfloat16, complex64, complex128, int64, int32, int16, "
            "int8, uint8, and bool."
        ) from None


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == COMPLEX and lo.category == FLOAT and lo is float64:
            return complex128
        if hi.category == FLOAT and lo.category == INT:
            return hi
        return hi
    if a.category == INT:
        if a.is_signed == b.is_signed:
            return a if a._rank > b._rank else b
        u, s = (a, b) if not a.is_signed else (b, a)  # only uint8 is unsigned
        return s if s._rank > u._rank else int16
    if a.category == FLOAT:
        if a._rank == b._rank:  # float16 with bfloat16
            return float32
        return a if a._rank > b._rank else b
    return a if a._rank > b._rank else b


_PROMOTE: dict[tuple[dtype, dtype], dtype] = {(a, b): _promote_pair(a, b) for a in ALL for b in ALL}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both can be cast to without losing category."""
    r = _PROMOTE.get((type1, type2))
    if r is None:
        if type1.category == QUANT or type2.category == QUANT:
            raise RuntimeError("promoteTypes with quantized numbers is not handled yet; figure out "
                               "what the correct rules should be, offending types: "
                               f"{_SCALAR_NAMES[type1.name]} {_SCALAR_NAMES[type2.name]}")
        raise TypeError(f"promote_types(): expected two dtypes, got {type1!r} and {type2!r}")
    return r


_state = {"default": float32}


def get_default_dtype() -> dtype:
    return _state["default"]


def set_default_dtype(d: dtype) -> None:
    """torch.set_default_dtype; only floating dtypes are accepted, as in torch.

    Differs from torch: bfloat16 is accepted without error (torch sets it, then raises).
    """
    if not isinstance(d, dtype) or d.category != FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _state["default"] = d


def default_complex() -> dtype:
    """The dtype of a Python complex: the complex counterpart of the default dtype."""
    d = _state["default"]
    if d is float32:
        return complex64
    if d is float64:
        return complex128
    raise NotImplementedError(f"the default dtype is {d}, whose complex counterpart (complex32) "
                              "ember does not support")


def scalar_dtype(value: Any) -> dtype:
    """The dtype a Python scalar gets when it becomes a tensor (torch.tensor(3.0) etc.)."""
    t = type(value)
    if t is bool:
        return bool_
    if t is int:
        return int64
    if t is float:
        return _state["default"]
    if t is complex:
        return default_complex()
    if isinstance(value, np.generic):
        return from_numpy_dtype(value.dtype)
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _state["default"]
    if isinstance(value, complex):
        return default_complex()
    raise TypeError(f"expected a Python number, got {t.__name__}")


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """torch's rule for letting a lower-priority group (0-d, scalars) raise the category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == COMPLEX:
        return higher
    if higher.category == FLOAT:
        if lower.category == COMPLEX:
            return higher.to_complex()
        return higher
    if higher is bool_ or lower.category >= FLOAT:
        return _PROMOTE[(higher, lower)]
    return higher


def result_type_of(dims: list, zeros: list, scalars: list) -> dtype:
    """Promote three priority groups: dimensioned tensors, 0-d tensors, Python scalars."""
    d = z = w = None
    for t in dims:
        d = t if d is None else _PROMOTE[(d, t)]
    for t in zeros:
        z = t if z is None else _PROMOTE[(z, t)]
    for s in scalars:
        st = scalar_dtype(s)
        w = st if w is None else _PROMOTE[(w, st)]
    r = _combine(d, _combine(z, w))
    assert r is not None
    return r


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: casting may not lower the category (float->int, complex->float, ->bool)."""
    if from_.category > to.category:
        return False
    return not (to is bool_ and from_ is not bool_)


class finfo:
    """torch.finfo: machine limits of a floating (or complex: its real part) dtype."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002 - torch's name
        type = get_default_dtype() if type is None else type
        if not isinstance(type, dtype) or type.category not in (FLOAT, COMPLEX):
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        real = type.to_real()
        info = ml_dtypes.finfo(real.np)
        self.dtype = real.name
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = float(10.0 ** -int(info.precision))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """torch.iinfo: limits of an integer dtype (bool is refused, as in torch)."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: dtype) -> None:  # noqa: A002 - torch's name
        if type is bool_:
            raise TypeError(f"{type!r} is not supported by torch.iinfo")
        if not isinstance(type, dtype) or type.category != INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(type.np)
        self.dtype = type.name
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


class memory_format:
    """torch.memory_format: how a tensor's dims are laid out (only the strided formats)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self) -> str:
        return self.name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
