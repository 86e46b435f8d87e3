"""View ops: results share the input's storage (rule 5). Each records a node whose backward
either reshapes/permutes the gradient or scatters it into zeros of the input's shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make, make_view
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import add_at, xp_of
from ._core import attach, grad_on, no_grad_ctx, norm_dim, norm_dims
from ._registry import register


# ------------------------------------------------------------------ backward nodes
class _ReshapeNode(Node):
    """Backward of ops that only change the shape: the gradient is reshaped back."""

    def __init__(self, in_shape: tuple) -> None:
        super().__init__()
        self.in_shape = in_shape

    def backward(self, grad: Tensor) -> Tensor:
        return grad.reshape(self.in_shape)


def _named(name: str, base: type) -> type:
    return type(name, (base,), {"__slots__": ()})


ViewBackward0 = _named("ViewBackward0", _ReshapeNode)
UnsafeViewBackward0 = _named("UnsafeViewBackward0", _ReshapeNode)
UnsqueezeBackward0 = _named("UnsqueezeBackward0", _ReshapeNode)
SqueezeBackward0 = _named("SqueezeBackward0", _ReshapeNode)
SqueezeBackward1 = _named("SqueezeBackward1", _ReshapeNode)


class ExpandBackward0(Node):
    """The engine sums broadcast gradients to the input's shape (rule 3)."""

    def backward(self, grad: Tensor) -> Tensor:
        return grad


class PermuteBackward0(Node):
    def __init__(self, dims: tuple) -> None:
        super().__init__()
        self.inv = tuple(np.argsort(dims).tolist())

    def backward(self, grad: Tensor) -> Tensor:
        return grad.permute(self.inv)


class TransposeBackward0(Node):
    def __init__(self, d0: int, d1: int) -> None:
        super().__init__()
        self.d0, self.d1 = d0, d1

    def backward(self, grad: Tensor) -> Tensor:
        return grad.transpose(self.d0, self.d1)


class TBackward0(TransposeBackward0):
    pass


class _ScatterNode(Node):
    """Backward of views that pick part of the input: put grad into zeros of input's shape."""

    def __init__(self, in_shape: tuple, view_fn: Callable, overlapping: bool = False) -> None:
        super().__init__()
        self.in_shape, self.view_fn, self.overlapping = in_shape, view_fn, overlapping

    def backward(self, grad: Tensor) -> Tensor:
        return view_scatter(grad, self.in_shape, self.view_fn, self.overlapping)


SelectBackward0 = _named("SelectBackward0", _ScatterNode)
SliceBackward0 = _named("SliceBackward0", _ScatterNode)
DiagonalBackward0 = _named("DiagonalBackward0", _ScatterNode)
AsStridedBackward0 = _named("AsStridedBackward0", _ScatterNode)
UnfoldBackward0 = _named("UnfoldBackward0", _ScatterNode)
SplitBackward0 = _named("SplitBackward0", _ScatterNode)
UnbindBackward0 = _named("UnbindBackward0", _ScatterNode)


class ViewScatterBackward(Node):
    """Backward of view_scatter: take the same view of the incoming gradient."""

    def __init__(self, view_fn: Callable) -> None:
        super().__init__()
        self.view_fn = view_fn

    def backward(self, grad: Tensor) -> Tensor:
        return self.view_fn(grad)


def view_scatter(grad: Tensor, in_shape: tuple, view_fn: Callable, overlapping: bool) -> Tensor:
    """zeros(in_shape) with view_fn(zeros) += grad; differentiable (for double backward)."""
    from .creation import zeros

    with no_grad_ctx():
        z = zeros(in_shape, dtype=grad.dtype, device=grad.device)
        if overlapping:
            idx = make(np.arange(int(np.prod(in_shape)), dtype=np.int64).reshape(in_shape),
                       D.int64, z.device)
            flat = view_fn(idx)._data.reshape(-1)
            zf = z._data.reshape(-1)
            add_at(zf, flat, grad._data.reshape(-1))
        else:
            view_fn(z)._data[...] = grad._data
    if grad_on(grad):
        attach(ViewScatterBackward(view_fn), (grad,), (z,))
    return z


def _view_out(arr: Any, self: Tensor, node: Node | None) -> Tensor:
    out = make_view(arr, self)
    if node is not None:
        attach(node, (self,), (out,))
    return out


def _rg(self: Tensor) -> bool:
    return self._requires_grad and _gm.enabled


# ------------------------------------------------------------------ shape views
def _infer_shape(shape: tuple, numel: int, name: str) -> tuple:
    if len(shape) == 1:
        s0 = shape[0]
        if type(s0) is int and s0 == numel:  # the common x.view(n) / x.reshape(n)
            return shape
        if isinstance(s0, (tuple, list)):
            shape = tuple(s0)
    shape = tuple(s if type(s) is int else int(s) for s in shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)}")
    if neg:
        rest = 1
        for i, s in enumerate(shape):
            if i != neg[0]:
                rest *= s
        if rest == 0 or numel % rest:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // rest,) + shape[neg[0] + 1:]
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_dtype(self: Tensor, dtype: D.dtype) -> Tensor:
    if dtype.itemsize != self.dtype.itemsize and self._data.ndim and \
            self._data.strides[-1] != self._data.itemsize:
        raise RuntimeError("self.stride(-1) must be 1 to view ScalarType as ScalarType with a "
                           "different element size")
    return make_view(self._data.view(dtype.np), self, dtype)


@register("view", function=False, method=True)
def view(self: Tensor, *shape: Any) -> Tensor:
    """A view with a new shape; RuntimeError when the strides do not allow it (use reshape)."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(self, shape[0])
    a = self._data
    new = _infer_shape(shape, a.size, "view")
    if new == a.shape:
        v = a.view()
    else:
        v = a.view()
        try:
            v.shape = new
        except AttributeError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ) from None
    return _view_out(v, self, ViewBackward0(a.shape) if _rg(self) else None)


@register("reshape", method=True)
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """A view when the strides allow, a copy otherwise."""
    a = input._data
    new = _infer_shape(shape, a.size, "reshape")
    v = a.view()
    try:
        v.shape = new
        return _view_out(v, input, ViewBackward0(a.shape) if _rg(input) else None)
    except AttributeError:
        out = make(a.reshape(new), input.dtype, input.device)
        if _rg(input):
            attach(UnsafeViewBackward0(a.shape), (input,), (out,))
        return out


@register("view_as", function=False, method=True)
def view_as(self: Tensor, other: Tensor) -> Tensor:
    return view(self, other.shape)


@register("reshape_as", function=False, method=True)
def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return reshape(self, other.shape)


def _expand_shape(in_shape: tuple, sizes: tuple) -> tuple:
    if len(sizes) < len(in_shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(in_shape)}}}, size={list(sizes)}): "
                           "the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({len(in_shape)})")
    lead = len(sizes) - len(in_shape)
    out = []
    for i, s in enumerate(sizes):
        s = int(s)
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension " + str(i))
            out.append(s)
            continue
        cur = in_shape[i - lead]
        if s == -1:
            out.append(cur)
        elif cur == 1 or cur == s:
            out.append(s)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(in_shape)}")
    return tuple(out)


def broadcast_array(a: np.ndarray, shape: tuple) -> np.ndarray:
    """A read-only view of `a` broadcast to `shape` (shape must be valid for it)."""
    if a.flags.c_contiguous and a.size:
        # np.ndarray over the same buffer is ~5x cheaper than np.broadcast_to
        lead = len(shape) - a.ndim
        st = (0,) * lead + tuple(0 if s == 1 and n != 1 else st
                                 for s, n, st in zip(a.shape, shape[lead:], a.strides))
        v = np.ndarray(shape, a.dtype, a, 0, st)
        v.flags.writeable = False
        return v
    return np.broadcast_to(a, shape)


@register("expand", function=False, method=True)
def expand(self: Tensor, *sizes: Any, implicit: bool = False) -> Tensor:
    """Broadcast to `sizes` with stride 0 on expanded dims: never a copy (read-only memory)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    a = self._data
    shape = _expand_shape(a.shape, sizes)
    if shape == a.shape:
        v = a.view()
    elif type(a) is np.ndarray:
        v = broadcast_array(a, shape)
    else:
        v = xp_of(a).broadcast_to(a, shape)
    return _view_out(v, self, ExpandBackward0() if _rg(self) else None)


@register("expand_as", function=False, method=True)
def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return expand(self, tuple(other.shape))


@register("broadcast_to", method=True)
def broadcast_to(input: Tensor, size: Any) -> Tensor:
    return expand(input, tuple(size))


@register("unsqueeze", method=True)
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at `dim`."""
    a = input._data
    d = norm_dim(dim, a.ndim + 1)
    v = a.view()
    v.shape = a.shape[:d] + (1,) + a.shape[d:]
    return _view_out(v, input, UnsqueezeBackward0(a.shape) if _rg(input) else None)


@register("squeeze", method=True)
def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Drop size-1 dimensions (all, or those in `dim`)."""
    a = input._data
    if dim is None:
        new = tuple(s for s in a.shape if s != 1)
        node_cls = SqueezeBackward0
    else:
        dims = norm_dims(dim, a.ndim) if a.ndim else ()
        new = tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1))
        node_cls = SqueezeBackward1
    v = a.view()
    v.shape = new
    return _view_out(v, input, node_cls(a.shape) if _rg(input) else None)


@register("permute", method=True)
def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dimensions."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    a = input._data
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {a.ndim} is not equal to len(dims) = {len(dims)}")
    nd = tuple(norm_dim(d, a.ndim) for d in dims)
    if len(set(nd)) != len(nd):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _view_out(a.transpose(nd), input, PermuteBackward0(nd) if _rg(input) else None)


@register("transpose", method=True, aliases=("swapaxes", "swapdims"))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    a = input._data
    if a.ndim == 0:
        d0 = norm_dim(dim0, 0)
        norm_dim(dim1, 0)
        return _view_out(a.view(), input, TransposeBackward0(0, 0) if _rg(input) else None)
    d0, d1 = norm_dim(dim0, a.ndim), norm_dim(dim1, a.ndim)
    return _view_out(a.swapaxes(d0, d1), input,
                     TransposeBackward0(d0, d1) if _rg(input) else None)


@register("t", method=True)
def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dimensions."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    a = input._data
    v = a.view() if a.ndim < 2 else a.T
    return _view_out(v, input, TBackward0(0, min(a.ndim, 2) - 1) if _rg(input) else None)


def _T(self: Tensor) -> Tensor:
    nd = self._data.ndim
    return permute(self, tuple(range(nd - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


Tensor.T = property(_T)  # type: ignore[attr-defined]
Tensor.mT = property(_mT)  # type: ignore[attr-defined]
Tensor.H = property(lambda self: _T(self).conj())  # type: ignore[attr-defined]
Tensor.mH = property(lambda self: _mT(self).conj())  # type: ignore[attr-defined]


@register("adjoint", method=True)
def adjoint(input: Tensor) -> Tensor:
    return _mT(input).conj()


def _slice_view(self: Tensor, key: tuple, node_cls: type, view_fn: Callable) -> Tensor:
    a = self._data
    return _view_out(a[key], self, node_cls(a.shape, view_fn) if _rg(self) else None)


@register("narrow", method=True)
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """input[..., start:start+length, ...] along dim."""
    a = input._data
    d = norm_dim(dim, a.ndim)
    start = int(start)
    size = a.shape[d]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    key = (slice(None),) * d + (slice(start, start + length),)
    return _slice_view(input, key, SliceBackward0, lambda g: narrow(g, d, start, length))


@register("select", method=True)
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """input[..., index, ...] along dim (removing that dim)."""
    a = input._data
    if a.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, a.ndim)
    size = a.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(a.shape)} at dimension {d}")
    if index < 0:
        index += size
    key = (slice(None),) * d + (index, Ellipsis)  # Ellipsis keeps a 0-d result a view
    return _slice_view(input, key, SelectBackward0, lambda g: select(g, d, index))


@register("unbind", method=True)
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """All slices along dim, as views."""
    d = norm_dim(dim, input._data.ndim)
    return tuple(select(input, d, i) for i in range(input._data.shape[d]))


@register("split", method=True)
def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Views of consecutive chunks of a given size (or the given list of sizes) along dim."""
    d = norm_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {size}")
        sizes = [min(step, size - i) for i in range(0, size, step)] if step else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


@register("split_with_sizes", method=True)
def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple:
    return split(input, list(split_sizes), dim)


@register("chunk", method=True)
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` views of size ceil(n / chunks) (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = norm_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    step = -(-size // chunks) if size else 1
    if size == 0:
        return tuple(narrow(input, d, 0, 0) for _ in range(chunks))
    return split(input, step, d)


@register("tensor_split", method=True)
def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:
    d = norm_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
    else:
        idx = [0] + [min(max(int(i), 0), size) for i in indices_or_sections] + [size]
        sizes = [max(b - a, 0) for a, b in zip(idx[:-1], idx[1:])]
    out, start = [], 0
    for s in sizes:
        out.append(narrow(input, d, start, s))
        start += s
    return tuple(out)


@register("flatten", method=True)
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one (a view when possible)."""
    a = input._data
    if a.ndim == 0:
        return reshape(input, (1,))
    s, e = norm_dim(start_dim, a.ndim), norm_dim(end_dim, a.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for x in a.shape[s:e + 1]:
        n *= x
    return reshape(input, a.shape[:s] + (n,) + a.shape[e + 1:])


@register("unflatten", method=True)
def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Split dim into `sizes` (one may be -1)."""
    a = input._data
    d = norm_dim(dim, a.ndim)
    inner = _infer_shape(tuple(sizes), a.shape[d], "unflatten")
    return view(input, a.shape[:d] + inner + a.shape[d + 1:]) if a.ndim else reshape(input, inner)


@register("ravel", method=True)
def ravel(input: Tensor) -> Tensor:
    return reshape(input, (-1,))


@register("movedim", method=True, aliases=("moveaxis",))
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims from source positions to destination positions."""
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [norm_dim(s, nd) for s in src]
    dst = [norm_dim(s, nd) for s in dst]
    order = [i for i in range(nd) if i not in src]
    for dd, ss in sorted(zip(dst, src)):
        order.insert(dd, ss)
    return permute(input, tuple(order))


@register("diagonal", method=True)
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of dims dim1, dim2 (appended as the last dim)."""
    a = input._data
    d1, d2 = norm_dim(dim1, a.ndim), norm_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if type(a) is np.ndarray:  # np.diagonal's view is read-only; build a writable one
        n1, n2 = a.shape[d1], a.shape[d2]
        n = max(min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2), 0)
        start = [0] * a.ndim
        if n:
            start[d2 if offset >= 0 else d1] = abs(offset)
        base = a[tuple(slice(st, None) for st in start)]
        other = [i for i in range(a.ndim) if i not in (d1, d2)]
        v = np.lib.stride_tricks.as_strided(
            base, tuple(a.shape[i] for i in other) + (n,),
            tuple(a.strides[i] for i in other) + (a.strides[d1] + a.strides[d2],),
            writeable=a.flags.writeable)
    else:
        v = a.diagonal(offset, d1, d2)
    return _view_out(v, input, DiagonalBackward0(a.shape, lambda g: diagonal(g, offset, d1, d2))
                     if _rg(input) else None)


@register("alias", differentiable=True)
def alias(input: Tensor) -> Tensor:
    return _view_out(input._data.view(), input, ViewBackward0(input._data.shape)
                     if _rg(input) else None)

