"""Dynamically quantized LSTM, GRU and cells: every gate GEMM is a dynamic int8 Linear.

Gate matrices (and their biases) are quantized and packed as dynamic Linear weights; the gate
nonlinearities run in float32, as torch's quantized_lstm / quantized_gru do.
The state_dict holds the packed weights under `_all_weight_values.{i}.param` like torch, but
as (weight, bias) tuples: torch's entries are TorchScript objects that cannot be read back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from ......_tensor import Tensor
from ......nn.modules.module import Module
from ......ops.creation import zeros
from ......ops.quantize import quantize_per_tensor
from ...modules.linear import LinearPackedParams
from ...modules.utils import quantize_weight
from .linear import dynamic_linear_np

__all__ = ["LSTM", "GRU", "LSTMCell", "GRUCell", "RNNCell"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (np.float32(1.0) / (np.float32(1.0) + np.exp(-x))).astype(np.float32)


def _pack(w: Tensor, b: Tensor | None, dtype: Any, observer_ctor: Any) -> LinearPackedParams:
    p = LinearPackedParams(dtype)
    if dtype == ember.qint8:
        obs = observer_ctor()
        obs(w)
        p.set_weight_bias(quantize_weight(w.detach().float(), obs), b)
    else:
        p.set_weight_bias(w.detach().float(), b)
    return p


def _weight_observer(mod: Any) -> Any:
    if getattr(mod, "qconfig", None) is not None and mod.qconfig.weight is not None:
        return mod.qconfig.weight
    from .....quantization.qconfig import default_dynamic_qconfig
    return default_dynamic_qconfig.weight


def _cell_step(mode: str, x: np.ndarray | None, h: np.ndarray, c: np.ndarray | None,
               ih: LinearPackedParams, hh: LinearPackedParams,
               gi: np.ndarray | None = None) -> tuple[np.ndarray, Any]:
    """One step; `gi` is the input projection when precomputed for the whole sequence."""
    if gi is None:
        assert x is not None
        gi = dynamic_linear_np(x, ih)
    gh = dynamic_linear_np(h, hh)
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=1)
        assert c is not None
        c2 = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c2), c2
    if mode == "GRU":
        ir, iz, inn = np.split(gi, 3, axis=1)
        hr, hz, hn = np.split(gh, 3, axis=1)
        r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
        n = np.tanh(inn + r * hn)
        return (np.float32(1.0) - z) * n + z * h, None
    act = np.tanh if mode == "RNN_TANH" else (lambda v: np.maximum(v, 0))
    return act(gi + gh).astype(np.float32), None


class _WeightValues(Module):
    """One packed (ih, hh) pair, saved as `param` = (w_ih, b_ih, w_hh, b_hh)."""

    def __init__(self, ih: LinearPackedParams, hh: LinearPackedParams) -> None:
        super().__init__()
        self.ih, self.hh = ih, hh

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        destination[prefix + "param"] = (*self.ih._weight_bias(), *self.hh._weight_bias())

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        key = prefix + "param"
        if key not in state_dict:
            missing_keys.append(key)
            return
        w_ih, b_ih, w_hh, b_hh = state_dict.pop(key)
        self.ih.set_weight_bias(w_ih, b_ih)
        self.hh.set_weight_bias(w_hh, b_hh)

    def forward(self, x: Any) -> Any:
        return x

    def __repr__(self) -> str:
        return "_WeightValues()"


class _RNNBase(Module):
    _MODE = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__()
        self.mode = self._MODE
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.dtype = ember.qint8 if dtype is None else dtype
        self.version = 2
        gates = {"LSTM": 4, "GRU": 3}[self._MODE] * hidden_size
        dirs = 2 if bidirectional else 1
        values = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * dirs
            for _ in range(dirs):
                packs = []
                for cols in (in_size, hidden_size):
                    w = zeros(gates, cols)
                    b = zeros(gates) if bias else None
                    if self.dtype == ember.qint8:
                        w = quantize_per_tensor(w, 1.0, 0, ember.qint8)
                    p = LinearPackedParams(self.dtype)
                    p.set_weight_bias(w, b)
                    packs.append(p)
                values.append(_WeightValues(packs[0], packs[1]))
        self._all_weight_values = ember.nn.ModuleList(values)

    def _get_name(self) -> str:
        return "DynamicQuantized" + self._MODE

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def __repr__(self) -> str:
        return f"{self._get_name()}({self.extra_repr()})"

    def forward(self, input: Tensor, hx: Any = None) -> Any:  # noqa: A002 - torch's name
        x = input.detach().numpy().astype(np.float32)
        batched = x.ndim == 3
        if not batched:
            x = x[:, None] if not self.batch_first else x[None]
        if self.batch_first:
            x = x.transpose(1, 0, 2)
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{self._get_name()}: input.size(-1) must be equal to "
                               f"input_size. Expected {self.input_size}, got {x.shape[-1]}")
        dirs = 2 if self.bidirectional else 1
        steps, batch = x.shape[0], x.shape[1]
        zeros = np.zeros((self.num_layers * dirs, batch, self.hidden_size), np.float32)
        if hx is None:
            h0, c0 = zeros, zeros.copy()
        elif self._MODE == "LSTM":
            h0, c0 = (t.detach().numpy().astype(np.float32) for t in hx)
        else:
            h0, c0 = hx.detach().numpy().astype(np.float32), None
        if not batched and hx is not None:
            h0 = h0[:, None]
            c0 = None if c0 is None else c0[:, None]
        hn, cn = [], []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                wv = self._all_weight_values[k]
                h = h0[k]
                c = c0[k] if c0 is not None else None
                seq = np.empty((steps, batch, self.hidden_size), np.float32)
                # torch projects the whole sequence through w_ih at once (one set of dynamic
                # qparams for all steps), then runs w_hh step by step
                flat = np.ascontiguousarray(layer_in.reshape(steps * batch, -1))
                gi_all = dynamic_linear_np(flat, wv.ih).reshape(steps, batch, -1)
                order = range(steps - 1, -1, -1) if d == 1 else range(steps)
                for t in order:
                    h, c2 = _cell_step(self._MODE, None, h, c, wv.ih, wv.hh, gi_all[t])
                    c = c2 if c2 is not None else c
                    seq[t] = h
                outs.append(seq)
                hn.append(h)
                if c is not None:
                    cn.append(c)
            layer_in = np.concatenate(outs, axis=2) if dirs == 2 else outs[0]
        out = layer_in.transpose(1, 0, 2) if self.batch_first else layer_in
        h_n = np.stack(hn)
        if not batched:
            out = out[:, 0] if not self.batch_first else out[0]
            h_n = h_n[:, 0]
        res_h = ember.from_numpy(np.ascontiguousarray(h_n))
        res = ember.from_numpy(np.ascontiguousarray(out))
        if self._MODE == "LSTM":
            c_n = np.stack(cn)
            if not batched:
                c_n = c_n[:, 0]
            return res, (res_h, ember.from_numpy(np.ascontiguousarray(c_n)))
        return res, res_h

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """Quantize each layer's w_ih/w_hh with the qconfig's weight observer."""
        if type(mod).__name__ != cls._MODE:
            raise AssertionError(f"nn.quantized.dynamic.{cls._MODE}.from_float only works for "
                                 f"nn.{cls._MODE}, got {type(mod)}")
        if getattr(mod, "proj_size", 0):
            raise NotImplementedError("dynamic quantized LSTM with proj_size is not "
                                      "implemented in Ember")
        ctor = _weight_observer(mod)
        dtype = ctor().dtype
        if dtype not in (ember.qint8, ember.float16):
            raise NotImplementedError(f"Unsupported dtype for dynamic RNN quantization: {dtype}")
        q = cls(mod.input_size, mod.hidden_size, mod.num_layers, mod.bias, mod.batch_first,
                mod.dropout, mod.bidirectional, dtype=dtype)
        dirs = 2 if mod.bidirectional else 1
        for layer in range(mod.num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                ih = _pack(getattr(mod, "weight_ih" + sfx), getattr(mod, "bias_ih" + sfx, None),
                           dtype, ctor)
                hh = _pack(getattr(mod, "weight_hh" + sfx), getattr(mod, "bias_hh" + sfx, None),
                           dtype, ctor)
                q._all_weight_values[layer * dirs + d] = _WeightValues(ih, hh)
        return q


class LSTM(_RNNBase):
    """Dynamic quantized LSTM (no proj_size); returns output, (h_n, c_n)."""

    _MODE = "LSTM"


class GRU(_RNNBase):
    """Dynamic quantized GRU; returns output, h_n."""

    _MODE = "GRU"


class _CellBase(Module):
    _MODE = "LSTM"
    _GATES = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.nonlinearity = nonlinearity
        self.weight_dtype = ember.qint8 if dtype is None else dtype
        packs = []
        for cols in (input_size, hidden_size):
            w = zeros(self._GATES * hidden_size, cols)
            if self.weight_dtype == ember.qint8:
                w = quantize_per_tensor(w, 1.0, 0, ember.qint8)
            p = LinearPackedParams(self.weight_dtype)
            p.set_weight_bias(w, zeros(self._GATES * hidden_size) if bias else None)
            packs.append(p)
        self._packed_weight_ih, self._packed_weight_hh = packs

    def _get_name(self) -> str:
        return "DynamicQuantized" + type(self).__name__

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def __repr__(self) -> str:
        return f"{self._get_name()}({self.extra_repr()})"

    def _mode(self) -> str:
        if self._MODE == "RNN":
            return "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._MODE

    def forward(self, input: Tensor, hx: Any = None) -> Any:  # noqa: A002 - torch's name
        x = input.detach().numpy().astype(np.float32)
        batched = x.ndim == 2
        if not batched:
            x = x[None]
        zeros = np.zeros((x.shape[0], self.hidden_size), np.float32)
        if hx is None:
            h, c = zeros, zeros.copy()
        elif self._MODE == "LSTM":
            h, c = (t.detach().numpy().astype(np.float32) for t in hx)
        else:
            h, c = hx.detach().numpy().astype(np.float32), None
        if not batched and hx is not None:
            h = h[None]
            c = None if c is None else c[None]
        h2, c2 = _cell_step(self._mode(), x, h, c if self._MODE == "LSTM" else None,
                            self._packed_weight_ih, self._packed_weight_hh)
        if not batched:
            h2 = h2[0]
            c2 = None if c2 is None else c2[0]
        if self._MODE == "LSTM":
            return ember.from_numpy(np.ascontiguousarray(h2)), ember.from_numpy(
                np.ascontiguousarray(c2))
        return ember.from_numpy(np.ascontiguousarray(h2))

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        if type(mod).__name__ != cls.__name__:
            raise AssertionError(f"nn.quantized.dynamic.{cls.__name__}.from_float only works "
                                 f"for nn.{cls.__name__}, got {type(mod)}")
        ctor = _weight_observer(mod)
        dtype = ctor().dtype
        q = cls(mod.input_size, mod.hidden_size, mod.bias, dtype=dtype,
                **({"nonlinearity": mod.nonlinearity} if cls._MODE == "RNN" else {}))
        q._packed_weight_ih = _pack(mod.weight_ih, mod.bias_ih, dtype, ctor)
        q._packed_weight_hh = _pack(mod.weight_hh, mod.bias_hh, dtype, ctor)
        return q


class LSTMCell(_CellBase):
    """Dynamic quantized LSTMCell; returns (h', c')."""

    _MODE = "LSTM"
    _GATES = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype=dtype)


class GRUCell(_CellBase):
    """Dynamic quantized GRUCell; returns h'."""

    _MODE = "GRU"
    _GATES = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype=dtype)


class RNNCell(_CellBase):
    """Dynamic quantized RNNCell (tanh or relu); returns h'."""

    _MODE = "RNN"
    _GATES = 1
