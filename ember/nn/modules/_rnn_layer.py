"""The fused recurrent layer behind nn.RNN, nn.LSTM, nn.GRU and their cells.

One layer and direction is one op: the recurrence runs over NumPy arrays in one forward loop,
and one backward node (torch's CPU LSTM node name, MkldnnRnnLayerBackward0) runs
backpropagation through time, with one GEMM for each weight gradient. With create_graph=True
the node recomputes the recurrence with ember ops and differentiates that, so double backward
works. Gate order is torch's: LSTM (i, f, g, o); GRU (r, z, n) with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). Half precision computes in float32.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import xp_of
from ...ops._core import attach
from ...ops.addmm import addmm
from ...ops.linalg import mm
from ...ops.shape import stack

__all__: list = []  # private: nn.modules.rnn uses layer() and project()

_F32 = np.dtype(np.float32)
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


# ------------------------------------------------------------------ NumPy recurrences
def _fwd(mode: str, xw: np.ndarray, h0: np.ndarray, c0: Any, whh: np.ndarray, bhh: Any,
         whr: Any, order: range, keep: bool) -> tuple:
    """Run one direction over the sequence; returns (out, h_n, c_n, cache for backward)."""
    T, B, G = xw.shape
    Hout = h0.shape[-1]
    H = G // _GATES[mode]
    whhT = whh.T
    xp = xp_of(xw)
    out = xp.empty((T, B, Hout), xw.dtype)
    cache: dict = {}
    h, c = h0, c0
    if mode == "LSTM":
        xwb = xw + bhh if bhh is not None else xw
        acts = xp.empty((T, B, G), xw.dtype)
        cs = xp.empty((T, B, H), xw.dtype)
        tcs = xp.empty((T, B, H), xw.dtype)
        hraw = xp.empty((T, B, H), xw.dtype) if whr is not None else None
        for t in order:
            g = np.dot(h, whhT)
            g += xwb[t]
            a = _sigmoid(g, acts[t])
            np.tanh(g[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
            c = np.multiply(a[:, H:2 * H], c, out=cs[t])
            c += a[:, :H] * a[:, 2 * H:3 * H]
            hr = np.multiply(a[:, 3 * H:], np.tanh(c, out=tcs[t]),
                             out=hraw[t] if hraw is not None else out[t])
            h = np.dot(hr, whr.T, out=out[t]) if whr is not None else hr
        cache.update(acts=acts, cs=cs, tcs=tcs, hraw=hraw)
    elif mode == "GRU":
        acts = xp.empty((T, B, G), xw.dtype)
        hwn = xp.empty((T, B, H), xw.dtype)
        for t in order:
            hw = np.dot(h, whhT)
            if bhh is not None:
                hw += bhh
            a = acts[t]
            _sigmoid(np.add(xw[t, :, :2 * H], hw[:, :2 * H], out=a[:, :2 * H]), a[:, :2 * H])
            hwn[t] = hw[:, 2 * H:]
            n = np.multiply(a[:, :H], hw[:, 2 * H:], out=a[:, 2 * H:])
            n += xw[t, :, 2 * H:]
            np.tanh(n, out=n)
            hn = np.subtract(h, n, out=out[t])
            hn *= a[:, H:2 * H]
            hn += n
            h = hn
        cache.update(acts=acts, hwn=hwn)
    else:
        xwb = xw + bhh if bhh is not None else xw
        relu = mode == "RNN_RELU"
        for t in order:
            pre = np.dot(h, whhT, out=out[t])
            pre += xwb[t]
            h = np.maximum(pre, 0, out=pre) if relu else np.tanh(pre, out=pre)
    if not keep:
        cache.clear()
    return out, h, c, cache


def _prev_h(out: np.ndarray, h0: np.ndarray, reverse: bool) -> np.ndarray:
    """The hidden state entering each step, in time order."""
    if not len(out):
        return out
    if reverse:
        return np.concatenate([out[1:], h0[None]], 0)
    return np.concatenate([h0[None], out[:-1]], 0)


def _gemm_tn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over (T, B) of a[t]^T @ b[t]: one GEMM over the folded time and batch dims."""
    return np.dot(a.reshape(-1, a.shape[-1]).T, b.reshape(-1, b.shape[-1]))


def _bwd(mode: str, dout: Any, dhn: Any, dcn: Any, out: np.ndarray, h0: np.ndarray, c0: Any,
         whh: np.ndarray, whr: Any, cache: dict, order: range, reverse: bool) -> tuple:
    """Backpropagation through time: (dxw, dh0, dc0, dwhh, dbhh, dwhr)."""
    T, B, Hout = out.shape
    G = whh.shape[0]
    H = G // _GATES[mode]
    dt = out.dtype
    xp = xp_of(out)
    dh = dhn if dhn is not None else xp.zeros((B, Hout), dt)
    dxw = xp.empty((T, B, G), dt)
    dc = dwhr = None
    rorder = order[::-1]
    hprev = _prev_h(out, h0, reverse)
    if mode == "LSTM":
        acts, cs, tcs, hraw = cache["acts"], cache["cs"], cache["tcs"], cache["hraw"]
        dc = dcn if dcn is not None else xp.zeros((B, H), dt)
        dhp: Any = xp.empty((T, B, Hout), dt) if whr is not None else None
        step = 1 if reverse else -1
        deriv = acts * (1 - acts)       # the gates' local derivatives, for every step at once
        gg = acts[:, :, 2 * H:3 * H]
        np.subtract(1, gg * gg, out=deriv[:, :, 2 * H:3 * H])
        dtc = 1 - tcs * tcs
        dc = dc.copy()
        for t in rorder:
            dht = dh + dout[t] if dout is not None else dh
            if whr is not None:
                dhp[t] = dht
                dht = np.dot(dht, whr)
            a = acts[t]
            tp = t + step
            dg = dxw[t]
            np.multiply(dht, tcs[t], out=dg[:, 3 * H:])                 # d o
            dct = np.multiply(dht, a[:, 3 * H:])
            dct *= dtc[t]
            dc += dct
            np.multiply(dc, a[:, 2 * H:3 * H], out=dg[:, :H])          # d i
            np.multiply(dc, cs[tp] if 0 <= tp < T else c0, out=dg[:, H:2 * H])  # d f
            np.multiply(dc, a[:, :H], out=dg[:, 2 * H:3 * H])          # d g
            dc *= a[:, H:2 * H]
            dg *= deriv[t]
            dh = np.dot(dg, whh)
        if whr is not None:
            dwhr = _gemm_tn(dhp, hraw)
        dhw = dxw
    elif mode == "GRU":
        acts, hwn = cache["acts"], cache["hwn"]
        dhw = xp.empty((T, B, G), dt)
        rz = acts[:, :, :2 * H]
        drz = rz * (1 - rz)                  # local derivatives, for every step at once
        z, n = acts[:, :, H:2 * H], acts[:, :, 2 * H:]
        omz = 1 - z
        dn = 1 - n * n
        hmn = hprev - n
        for t in rorder:
            dht = dh + dout[t] if dout is not None else dh
            dx, dw = dxw[t], dhw[t]
            dnp = np.multiply(dht, omz[t], out=dx[:, 2 * H:])
            dnp *= dn[t]
            np.multiply(dnp, acts[t, :, :H], out=dw[:, 2 * H:])
            np.multiply(dnp, hwn[t], out=dx[:, :H])
            np.multiply(dht, hmn[t], out=dx[:, H:2 * H])
            dx[:, :2 * H] *= drz[t]
            dw[:, :2 * H] = dx[:, :2 * H]
            dh = np.dot(dw, whh)
            dh += dht * z[t]
    else:
        relu = mode == "RNN_RELU"
        for t in rorder:
            dht = dh + dout[t] if dout is not None else dh
            h = out[t]
            dp = dxw[t]
            if relu:
                np.multiply(dht, h > 0, out=dp)
            else:
                np.multiply(dht, 1 - h * h, out=dp)
            dh = np.dot(dp, whh)
        dhw = dxw
    dwhh = _gemm_tn(dhw, hprev)
    dbhh = dhw.reshape(-1, G).sum(0)
    return dxw, dh, dc, dwhh, dbhh, dwhr


_CACHE_KEYS = {"LSTM": ("acts", "cs", "tcs", "hraw"), "GRU": ("acts", "hwn"),
               "RNN_TANH": (), "RNN_RELU": ()}


class MkldnnRnnLayerBackward0(Node):
    """Backpropagation through time of one layer and direction (all modes)."""

    _materialize = False

    def __init__(self, mode: str, reverse: bool, cd: np.dtype) -> None:
        super().__init__()
        self.mode, self.reverse, self.cd = mode, reverse, cd

    def backward(self, dout: Any, dhn: Any = None, dcn: Any = None) -> tuple:
        saved = self.saved_tensors
        xw, h0, c0, whh, bhh, whr, out = saved[:7]
        if _gm.enabled:  # create_graph=True: differentiate an ember-op recomputation
            return self._graph_backward(dout, dhn, dcn, xw, h0, c0, whh, bhh, whr)
        cd = self.cd
        cache = {k: (None if t is None else t._data)
                 for k, t in zip(_CACHE_KEYS[self.mode], saved[7:], strict=True)}

        def a(t: Any) -> Any:
            return None if t is None else t._data.astype(cd, copy=False)

        T = xw.shape[0]
        order = range(T - 1, -1, -1) if self.reverse else range(T)
        with np.errstate(over="ignore", invalid="ignore"):
            res = _bwd(self.mode, a(dout), a(dhn), a(dcn), a(out), a(h0), a(c0), a(whh), a(whr),
                       cache, order, self.reverse)
        grads = []
        for t, g in zip((xw, h0, c0, whh, bhh, whr), res, strict=True):
            grads.append(None if t is None or g is None else
                         make(g.astype(t.dtype.np, copy=False), t.dtype, t.device))
        return tuple(grads)

    def _graph_backward(self, dout: Any, dhn: Any, dcn: Any, *ins: Any) -> tuple:
        from ...autograd import grad

        outs = _layer_graph(self.mode, *ins, reverse=self.reverse)
        pairs = [(o, g) for o, g in zip(outs, (dout, dhn, dcn), strict=False) if g is not None]
        wanted = [t if fn is not None else None
                  for t, (fn, _) in zip(ins, self.next_functions, strict=True)]
        live = [t for t in wanted if t is not None]
        if not pairs or not live:
            return (None,) * len(ins)
        gs = iter(grad([o for o, _ in pairs], live, [g for _, g in pairs], create_graph=True,
                       allow_unused=True))
        return tuple(None if t is None else next(gs) for t in wanted)


def _layer_graph(mode: str, xw: Tensor, h0: Tensor, c0: Any, whh: Tensor, bhh: Any, whr: Any,
                 *, reverse: bool) -> tuple:
    """The recurrence written with ember ops (differentiable; used for double backward)."""
    T = xw.shape[0]
    H = whh.shape[0] // _GATES[mode]
    h, c = h0, c0
    outs: list = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        hw = h.matmul(whh.t())
        if bhh is not None:
            hw = hw + bhh
        if mode == "LSTM":
            g = xw[t] + hw
            i, f, o = g[:, :H].sigmoid(), g[:, H:2 * H].sigmoid(), g[:, 3 * H:].sigmoid()
            c = f * c + i * g[:, 2 * H:3 * H].tanh()
            h = o * c.tanh()
            if whr is not None:
                h = h.matmul(whr.t())
        elif mode == "GRU":
            rz = (xw[t, :, :2 * H] + hw[:, :2 * H]).sigmoid()
            r, z = rz[:, :H], rz[:, H:]
            n = (xw[t, :, 2 * H:] + r * hw[:, 2 * H:]).tanh()
            h = n + z * (h - n)
        else:
            pre = xw[t] + hw
            h = pre.relu() if mode == "RNN_RELU" else pre.tanh()
        outs[t] = h
    return stack(outs, 0), h, c


def _layer(mode: str, xw: Tensor, h0: Tensor, c0: Tensor | None, whh: Tensor,
           bhh: Tensor | None, whr: Tensor | None, reverse: bool) -> tuple:
    """One layer and direction: (output (T, B, Hout), h_n, c_n or None)."""
    dt = xw.dtype
    cd = _F32 if dt in (D.float16, D.bfloat16) else dt.np
    T = xw.shape[0]
    order = range(T - 1, -1, -1) if reverse else range(T)
    need = _gm.enabled and any(t is not None and t._requires_grad
                               for t in (xw, h0, c0, whh, bhh, whr))

    def a(t: Any) -> Any:
        return None if t is None else t._data.astype(cd, copy=False)

    with np.errstate(over="ignore"):
        out, h, c, cache = _fwd(mode, a(xw), a(h0), a(c0), a(whh), a(bhh), a(whr), order, need)
    dev = xw.device
    res_out = make(out.astype(dt.np, copy=False), dt, dev)
    res_h = make(h.astype(dt.np), dt, dev)
    res_c = make(c.astype(dt.np), dt, dev) if c is not None else None
    if need:
        node = MkldnnRnnLayerBackward0(mode, reverse, cd)
        attach(node, (xw, h0, c0, whh, bhh, whr), (res_out, res_h, res_c))
        cdt = D.float32 if cd == _F32 else dt
        extra = [None if cache[k] is None else make(cache[k], cdt, dev) for k in _CACHE_KEYS[mode]]
        if res_out._data is out:  # the output itself: an in-place change of it is caught
            node.save(xw, h0, c0, whh, bhh, whr)
            node.save_outputs(res_out)
            cast(list, node._saved).extend((t, 0, -1) if t is not None else None for t in extra)
        else:
            node.save(xw, h0, c0, whh, bhh, whr, make(out, cdt, dev), *extra)
    return res_out, res_h, res_c


def _project(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """x (T, B, I) @ w^T + b as one GEMM over the folded time and batch dims."""
    T, B, In = x.shape
    x2 = x.reshape(T * B, In)
    y = mm(x2, w.t()) if b is None else addmm(b, x2, w.t())
    return y.view(T, B, w.shape[0])
