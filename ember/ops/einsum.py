"""Tensor contractions: einsum (with its parse and plan caches), tensordot and inner."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ._core import attach, grad_on, norm_dim
from ._linalg_util import (
    _BOOL,
    _arr0,
    _conj,
    _down,
    _f32,
    _half,
    _no_bool,
    _prod,
    _same_device,
    _tn,
    _up,
)
from ._registry import register
from .linalg import mm


# ------------------------------------------------------------------ tensordot, inner
def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple:
    if isinstance(dims, Tensor):
        if dims.numel() > 1:
            if dims.shape[0] != 2:
                raise AssertionError(f"dims tensor must have size 2 in first dimension, got "
                                     f"{dims.shape[0]}")
            v = dims.tolist()
            return list(v[0]) if isinstance(v[0], list) else [v[0]], \
                list(v[1]) if isinstance(v[1], list) else [v[1]]
        dims = int(dims.item())
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    if isinstance(dims, bool) or not isinstance(dims, (int, list, tuple)):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    da, db = dims
    for name, d in (("dims_self", da), ("dims_other", db)):
        if not isinstance(d, (list, tuple)):
            raise TypeError(f"tensordot(): argument '{name}' (position 3) must be tuple of ints, "
                            f"not {type(d).__name__}")
    return [int(d) for d in da], [int(d) for d in db]


@register("tensordot", out=True)
def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract dims of a with dims of b (an int n: the last n of a with the first n of b)."""
    da, db = _tensordot_dims(a, b, dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    _same_device("tensordot", a, b)
    sa, sb = a._data.shape, b._data.shape
    na_, nb_ = len(sa), len(sb)
    ia = [norm_dim(d, na_) for d in da]
    ib = [norm_dim(d, nb_) for d in db]
    for lst in (ia, ib):
        for d in lst:
            if lst.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    sum_a, sum_b = [], []
    for i in range(len(ia)):
        s1, s2 = sa[ia[i]], sb[ib[i]]
        if s2 == 1:  # broadcast: the other side is summed right away
            sum_a.append(ia[i])
        elif s1 == 1:
            sum_b.append(ib[i])
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in "
                               f"dim {da[i]} and second has size {s2} in dim {db[i]}")
    dt = a.dtype
    _no_bool(dt, "addmm_impl_cpu_")
    free_a = [d for d in range(na_) if d not in ia]
    free_b = [d for d in range(nb_) if d not in ib]
    out_shape = tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b)
    if grad_on(a, b):
        ta = a.sum(sum_a, keepdim=True) if sum_a else a
        tb = b.sum(sum_b, keepdim=True) if sum_b else b
        k = _prod(ta.shape[d] for d in ia)
        ma = ta.permute(free_a + ia).reshape(_prod(sa[d] for d in free_a), k)
        mb = tb.permute(ib + free_b).reshape(k, _prod(sb[d] for d in free_b))
        return mm(ma, mb).reshape(out_shape)
    x, y = _up(a._data, dt), _up(b._data, dt)
    if sum_a:
        x = x.sum(tuple(sum_a), keepdims=True, dtype=x.dtype)
    if sum_b:
        y = y.sum(tuple(sum_b), keepdims=True, dtype=y.dtype)
    r = np.tensordot(x, y, axes=(ia, ib))
    return make(_down(r, dt), dt, a.device)


@register("inner", method=True, out=True)
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum-product over the last dims (a scalar operand multiplies, with promotion)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input * other
    if input.dtype is not other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    return tensordot(input, other, ([-1], [-1]))


# ------------------------------------------------------------------ einsum
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LABEL = {c: i for i, c in enumerate(_LETTERS)}
_ELL = 52  # labels of dims covered by an ellipsis: 52, 53, ... (right-aligned)
_PARSE_CACHE: dict = {}
_PLAN_CACHE: dict = {}


def _label_name(lab: int) -> str:
    return _LETTERS[lab] if lab < _ELL else "..."


def _parse_term(eq: str, start: int, stop: int, what: str) -> tuple:
    """Labels of one term and the position of its ellipsis (-1 if none)."""
    labels: list = []
    ell = -1
    dots = 0
    for i in range(start, stop):
        c = eq[i]
        if c == ".":
            if ell >= 0:
                raise RuntimeError(f"einsum(): found '.' for {what} for which an ellipsis was "
                                   "already found")
            dots += 1
            if dots == 3:
                ell, dots = len(labels), 0
            continue
        if dots:
            break
        if c == " ":
            continue
        lab = _LABEL.get(c)
        if lab is None:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        labels.append(lab)
    if dots:
        raise RuntimeError(f"einsum(): found '.' for {what} that is not part of any ellipsis"
                           + (" (...)" if what == "output" else ""))
    return labels, ell


def _parse_equation(eq: str, ndims: tuple) -> tuple:
    """(labels of each operand, labels of the output), ellipses expanded to labels >= 52."""
    arrow = eq.find("->")
    lhs_end = len(eq) if arrow < 0 else arrow
    terms = []
    start = 0
    k = 0
    while True:
        comma = eq.find(",", start, lhs_end)
        stop = lhs_end if comma < 0 else comma
        terms.append(_parse_term(eq, start, stop, f"operand {k}"))
        if comma < 0:
            break
        start, k = comma + 1, k + 1
    if len(terms) < len(ndims):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(terms) > len(ndims):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    n_ell = 0
    for k, ((labels, ell), nd) in enumerate(zip(terms, ndims, strict=True)):
        if ell < 0 and len(labels) != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(labels)}) does not match the number of dimensions ({nd}) "
                               f"for operand {k} and no ellipsis was given")
        if ell >= 0:
            if len(labels) > nd:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(labels)}) is more than the number of dimensions "
                                   f"({nd}) for operand {k}")
            n_ell = max(n_ell, nd - len(labels))
    subs = []
    for (labels, ell), nd in zip(terms, ndims, strict=True):
        if ell >= 0:
            e = nd - len(labels)
            labels = labels[:ell] + [_ELL + n_ell - e + j for j in range(e)] + labels[ell:]
        subs.append(tuple(labels))
    any_ell = any(ell >= 0 for _, ell in terms)
    if arrow < 0:
        counts: dict = {}
        for s in subs:
            for lab in s:
                counts[lab] = counts.get(lab, 0) + 1
        out = [_ELL + j for j in range(n_ell)] if any_ell else []
        out += sorted(lab for lab, c in counts.items() if c == 1 and lab < _ELL)
        return tuple(subs), tuple(out)
    labels, ell = _parse_term(eq, arrow + 2, len(eq), "output")
    seen_in = {lab for s in subs for lab in s}
    for i, lab in enumerate(labels):
        if lab in labels[:i]:
            raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} appears more than "
                               "once in the output")
        if lab not in seen_in:
            raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} does not appear in "
                               "the equation for any input operand")
    if ell >= 0:
        labels = labels[:ell] + [_ELL + j for j in range(n_ell)] + labels[ell:]
    return tuple(subs), tuple(labels)


def _ein_sizes(subs: tuple, shapes: tuple) -> dict:
    sizes: dict = {}
    for k, (labels, shape) in enumerate(zip(subs, shapes, strict=True)):
        local: dict = {}
        for lab, s in zip(labels, shape, strict=True):
            if lab in local:
                if local[lab] != s:
                    raise RuntimeError(f"einsum(): subscript {_label_name(lab)} is repeated for "
                                       f"operand {k} but the sizes don't match, {s} != "
                                       f"{local[lab]}")
                continue
            local[lab] = s
            prev = sizes.get(lab)
            if prev is None or prev == 1:
                sizes[lab] = s
            elif s != 1 and s != prev:
                if lab >= _ELL:
                    raise RuntimeError(f"einsum(): dimension {lab - _ELL} covered by ellipsis in "
                                       f"operand {k}has size {s} which does not broadcast with "
                                       f"previously seen ellipsis with size {prev} for the "
                                       "respective dimension")
                raise RuntimeError(f"einsum(): subscript {_LETTERS[lab]} has size {s} for "
                                   f"operand {k} which does not broadcast with previously seen "
                                   f"size {prev}")
    return sizes


def _ein_plan(subs: tuple, out: tuple, shapes: tuple) -> tuple:
    """Steps that compute the contraction with diagonals, sums, BLAS matmuls and broadcast
    multiplies; cached per (subs, out, shapes)."""
    sizes = _ein_sizes(subs, shapes)
    n = len(subs)
    pre: list = []
    cur: list = []
    steps: list[tuple]  # ("diag", p, q), ("reshape", shape), ("sum", axes)
    for labels, shape in zip(subs, shapes, strict=True):
        labels, shape, steps = list(labels), list(shape), []
        while True:  # repeated labels: take the diagonal (appended last by np.diagonal)
            dup = next(((p, q) for p in range(len(labels)) for q in range(p + 1, len(labels))
                        if labels[p] == labels[q]), None)
            if dup is None:
                break
            p, q = dup
            steps.append(("diag", p, q))
            lab, s = labels[p], shape[p]
            for i in (q, p):
                del labels[i], shape[i]
            labels.append(lab)
            shape.append(s)
        keep = [i for i, s in enumerate(shape) if s != 1 or sizes[labels[i]] == 1]
        if len(keep) != len(labels):  # broadcast size-1 dims: the operand is constant along them
            labels = [labels[i] for i in keep]
            shape = [shape[i] for i in keep]
            steps.append(("reshape", tuple(shape)))
        pre.append(steps)
        cur.append(labels)
    summed = False
    for k in range(n):
        others = set(out)
        for j in range(n):
            if j != k:
                others.update(cur[j])
        axes = tuple(i for i, lab in enumerate(cur[k]) if lab not in others)
        if axes:
            pre[k].append(("sum", axes))
            cur[k] = [lab for lab in cur[k] if lab in others]
            summed = True
    pairs: list[tuple] = []
    labels = cur[0]
    for k in range(1, n):
        keep_set = set(out)
        for j in range(k + 1, n):
            keep_set.update(cur[j])
        la, lb = labels, cur[k]
        batch = [lab for lab in la if lab in lb and lab in keep_set]
        contr = [lab for lab in la if lab in lb and lab not in keep_set]
        ao = [lab for lab in la if lab not in lb]
        bo = [lab for lab in lb if lab not in la]
        bs = tuple(sizes[lab] for lab in batch)
        as_ = tuple(sizes[lab] for lab in ao)
        bsz = tuple(sizes[lab] for lab in bo)
        if contr:
            pa = [la.index(lab) for lab in batch + ao + contr]
            pb = [lb.index(lab) for lab in batch + contr + bo]
            kk = _prod(sizes[lab] for lab in contr)
            lead = (_prod(bs),) if batch else ()
            pairs.append(("mm", None if pa == sorted(pa) else tuple(pa),
                          lead + (_prod(as_), kk),
                          None if pb == sorted(pb) else tuple(pb),
                          lead + (kk, _prod(bsz)), bs + as_ + bsz))
        else:
            pa = [la.index(lab) for lab in batch + ao]
            pb = [lb.index(lab) for lab in batch + bo]
            pairs.append(("mul", None if pa == sorted(pa) else tuple(pa),
                          bs + as_ + (1,) * len(bo),
                          None if pb == sorted(pb) else tuple(pb),
                          bs + (1,) * len(ao) + bsz, None))
        labels = batch + ao + bo
    perm = tuple(labels.index(lab) for lab in out)
    fresh = bool(pairs) or summed
    return (tuple(tuple(s) for s in pre), tuple(pairs),
            None if perm == tuple(range(len(perm))) else perm, fresh, summed, sizes)


def _ein_run(arrays: list, plan: tuple, sum_dtype: Any) -> Any:
    pre, pairs, perm, fresh = plan[0], plan[1], plan[2], plan[3]
    xs = []
    for a, steps in zip(arrays, pre, strict=True):
        for st in steps:
            if st[0] == "diag":
                a = a.diagonal(0, st[1], st[2])
            elif st[0] == "reshape":
                a = a.reshape(st[1])
            else:
                a = a.sum(st[1], dtype=sum_dtype or a.dtype)
        xs.append(a)
    r = xs[0]
    for (kind, pa, sa, pb, sb, so), b in zip(pairs, xs[1:], strict=True):
        if pa is not None:
            r = r.transpose(pa)
        if pb is not None:
            b = b.transpose(pb)
        if kind == "mm":
            r = np.matmul(r.reshape(sa), b.reshape(sb)).reshape(so)
        else:
            r = r.reshape(sa) * b.reshape(sb)
    if perm is not None:
        r = r.transpose(perm)
    return _arr0(r) if fresh else r.copy()  # a full reduction gives a NumPy scalar


class EinsumBackward0(Node):
    """No torch counterpart (torch's einsum is a composite of bmm and views): the gradient of
    each operand is the einsum of the output gradient with the other operands (conjugated)."""

    def __init__(self, subs: tuple, out: tuple, shapes: tuple, sizes: dict) -> None:
        super().__init__()
        self.subs, self.out, self.shapes, self.sizes = subs, out, shapes, sizes

    def backward(self, grad: Tensor) -> tuple:
        from .creation import eye, ones

        ops = self.saved_tensors
        subs, sizes = self.subs, self.sizes
        fresh = max([_ELL - 1, *sizes]) + 1
        res: list = []
        for k, (edge, _) in enumerate(self.next_functions):
            if edge is None:
                res.append(None)
                continue
            ins = [grad] + [_conj(t) for j, t in enumerate(ops) if j != k]
            isubs = [self.out] + [s for j, s in enumerate(subs) if j != k]
            new = []
            seen: set = set()
            for lab, s in zip(subs[k], self.shapes[k], strict=True):
                if s == 1 and sizes[lab] != 1:  # broadcast dim: summed, kept as size 1
                    ins.append(ones(1, dtype=grad.dtype, device=grad.device))
                    isubs.append((fresh,))
                    new.append(fresh)
                    fresh += 1
                elif lab in seen:  # repeated label: the gradient lives on the diagonal
                    ins.append(eye(sizes[lab], dtype=grad.dtype, device=grad.device))
                    isubs.append((lab, fresh))
                    new.append(fresh)
                    fresh += 1
                else:
                    seen.add(lab)
                    new.append(lab)
            # labels some input carries at full size (others may only broadcast along them)
            present = set(self.out)
            for j, (s, shape) in enumerate(zip(subs, self.shapes, strict=True)):
                if j != k:
                    present.update(lab for lab, n in zip(s, shape, strict=True)
                                   if n == sizes[lab])
            for lab in seen - present:  # summed over this operand only: gradient broadcasts
                ins.append(ones(sizes[lab], dtype=grad.dtype, device=grad.device))
                isubs.append((lab,))
            res.append(_ein(ins, tuple(isubs), tuple(new)))
        return tuple(res)


def _ein(ops: list, subs: tuple, out: tuple) -> Tensor:
    """einsum on label tuples (the parsed equation); records EinsumBackward0."""
    t0 = ops[0]
    dt = t0.dtype
    for t in ops[1:]:
        if t.dtype is not dt:
            raise RuntimeError(f"expected scalar type {_tn(t0)} but found {_tn(t)}")
        if t.device is not t0.device:
            _same_device("einsum", t0, t)
    shapes = tuple(tuple(t._data.shape) for t in ops)
    key = (subs, out, shapes)
    plan = _PLAN_CACHE.get(key)
    if plan is None:
        if len(_PLAN_CACHE) > 1024:
            _PLAN_CACHE.clear()
        plan = _PLAN_CACHE[key] = _ein_plan(subs, out, shapes)
    odt = dt
    sum_dtype = None
    if len(ops) == 1 and plan[4] and dt.category <= D.INT:
        odt = D.int64  # a single-operand einsum that sums is torch.sum: integers give int64
        sum_dtype = np.int64
    elif dt is _BOOL and (plan[4] or any(p[0] == "mm" for p in plan[1])):
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    arrays = [t._data.astype(_f32) if _half(dt) else t._data for t in ops]
    r = _ein_run(arrays, plan, sum_dtype)
    out_t = make(_down(r, dt) if odt is dt else r, odt, t0.device)
    if grad_on(*ops):
        node = EinsumBackward0(subs, out, shapes, plan[5])
        node.save(*ops)
        attach(node, ops, (out_t,))
    return out_t


def _sublist_equation(args: tuple) -> tuple:
    def term(sub: Any) -> str:
        parts = []
        for v in sub:
            if v is Ellipsis:
                parts.append("...")
            elif isinstance(v, int) and 0 <= v < 52:
                parts.append(_LETTERS[v])
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid "
                                 "range [0, 52)")
        return "".join(parts)

    n = len(args) // 2
    ops = list(args[0:2 * n:2])
    eq = ",".join(term(s) for s in args[1:2 * n:2])
    if len(args) % 2:
        eq += "->" + term(args[-1])
    return eq, ops


@register("einsum")
def einsum(*args: Any) -> Tensor:
    """Einstein summation: '...' ellipsis, repeated indices (diagonals), implicit output and the
    sublist form; contractions run as BLAS matmuls. Operands must share a dtype (torch promotes
    in a few corner cases, e.g. 'i,j->i')."""
    if not args:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    eq = args[0]
    if isinstance(eq, Tensor):
        eq, ops = _sublist_equation(args)
    else:
        if not isinstance(eq, str):
            raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                            f"{type(eq).__name__}")
        ops = list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
        if not ops:
            raise ValueError("einsum(): must specify the equation string and at least one "
                             "operand, or at least one operand and its subscripts list")
    for i, t in enumerate(ops):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): argument 'tensors' (position 2) must be tuple of Tensors, "
                            f"but found element of type {type(t).__name__} at pos {i}")
    key = (eq, tuple(t._data.ndim for t in ops))
    parsed = _PARSE_CACHE.get(key)
    if parsed is None:
        if len(_PARSE_CACHE) > 1024:
            _PARSE_CACHE.clear()
        parsed = _PARSE_CACHE[key] = _parse_equation(eq, key[1])
    return _ein(ops, parsed[0], parsed[1])
