"""HistogramObserver: a running 2048-bin histogram and torch's L2-error search for min/max.

Every step reproduces torch's float32 tensor arithmetic (histc's linear bin index, cumsum
accumulated in double, comparisons against float32 thresholds), so the chosen range, and with
it the scale and zero point, equal torch's.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._quantized import per_tensor_affine
from ..._tensor import Tensor, make
from .observer import _EPS, UniformQuantizationObserverBase, _dev, _f32, _set
from .utils import is_per_tensor

_F32 = np.float32
_BITS = {D.qint8: 8, D.quint8: 8, D.quint4x2: 8, D.qint32: 32, D.int8: 8, D.uint8: 8,
         D.int16: 16, D.int32: 32}


def _histc(x: np.ndarray, bins: int, mn: Any, mx: Any, inside: bool = False) -> np.ndarray:
    """torch.histc: linear bin index (x - min) * bins / (max - min), max in the last bin.

    inside=True: the caller knows every x lies in [mn, mx] (skips the range filter)."""
    mn, mx = _F32(mn), _F32(mx)
    if mn == mx:
        mn, mx = _F32(float(mn) - 1), _F32(float(mx) + 1)
    if not inside:
        x = x[(x >= mn) & (x <= mx)]
    pos = x - mn
    pos *= _F32(bins)
    pos /= mx - mn
    pos = pos.astype(np.int64)
    pos[pos == bins] = bins - 1
    return np.bincount(pos, minlength=bins).astype(np.float32)


def _linspace(a: Any, b: Any, n: int) -> np.ndarray:
    from ...ops._registry import FUNCTIONS

    t = FUNCTIONS["linspace"](make(np.asarray(a, np.float32), D.float32, _dev()),
                              make(np.asarray(b, np.float32), D.float32, _dev()), n)
    return t._host()


def _get_norm(delta_begin: Any, delta_end: Any, density: np.ndarray) -> np.ndarray:
    """density * (end**3 - begin**3) / 3: the L2 error of values spread over [begin, end]."""
    return density * ((delta_end * delta_end * delta_end
                       - delta_begin * delta_begin * delta_begin) / _F32(3))


class HistogramObserver(UniformQuantizationObserverBase):
    """Records a histogram of the values seen; picks the range minimising the L2 error."""

    def __init__(self, bins: int = 2048, dtype: Any = D.quint8,
                 qscheme: Any = per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 factory_kwargs: Any = None, eps: float = _EPS, is_dynamic: bool = False,
                 **kwargs: Any) -> None:
        if not is_per_tensor(qscheme):
            raise NotImplementedError("HistogramObserver's qscheme only support "
                                      "torch.per_tensor_symmetric and torch.per_tensor_affine.")
        if is_dynamic:
            raise NotImplementedError("HistogramObserver doesn't support dynamic quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.bins = bins
        self.register_buffer("histogram", make(np.zeros(bins, np.float32), D.float32, _dev()))
        self.register_buffer("min_val", make(np.array(np.inf, np.float32), D.float32, _dev()))
        self.register_buffer("max_val", make(np.array(-np.inf, np.float32), D.float32, _dev()))
        self.dst_nbins = 2 ** _BITS[dtype]
        self.upsample_rate = 16  # finer bins when an old histogram is mapped to a wider range

    # ------------------------------------------------------------------ observing
    def forward(self, x_orig: Tensor) -> Tensor:
        if x_orig.numel() == 0:
            return x_orig
        x = _f32(x_orig).reshape(-1)
        x_min, x_max = x.min(), x.max()
        if x_min == -np.inf or x_max == np.inf:
            warnings.warn("torch.inf detected in input tensor, ignoring input", stacklevel=2)
            x = x[np.abs(x) != np.inf]
            if x.size == 0:
                return x_orig
            x_min, x_max = x.min(), x.max()
        cur_min, cur_max = _f32(self.min_val), _f32(self.max_val)
        if cur_min == np.inf or cur_max == -np.inf:
            _set(self.min_val, x_min)
            _set(self.max_val, x_max)
            _set(self.histogram, _histc(x, self.bins, x_min, x_max, inside=True))
            return x_orig
        new_min, new_max = np.minimum(cur_min, x_min), np.maximum(cur_max, x_max)
        update = _histc(x, self.bins, new_min, new_max, inside=True)
        hist = _f32(self.histogram)
        if new_min == cur_min and new_max == cur_max:
            _set(self.histogram, hist + update)
        else:
            _set(self.histogram, self._combine(hist, cur_min, cur_max, update, new_min, new_max))
            _set(self.min_val, new_min)
            _set(self.max_val, new_max)
        return x_orig

    def _combine(self, orig: np.ndarray, orig_min: Any, orig_max: Any, update: np.ndarray,
                 update_min: Any, update_max: Any) -> np.ndarray:
        if update_min == orig_min and update_max == orig_max:
            return orig + update
        if orig_min == orig_max:  # a single value: all its mass goes to one bin
            mass = orig.sum(dtype=np.float32)
            return _histc(np.asarray([orig_min], np.float32), self.bins, update_min,
                          update_max) * mass + update
        if update_min > orig_min:
            raise AssertionError("update_min must be <= orig_min")
        if update_max < orig_max:
            raise AssertionError("update_max must be >= orig_max")
        return update + self._upscale(orig, orig_min, orig_max, update_min, update_max)

    def _upscale(self, hist: np.ndarray, orig_min: Any, orig_max: Any, update_min: Any,
                 update_max: Any) -> np.ndarray:
        """The old histogram in the new range: each bin split in 16, mid-points re-binned."""
        up = self.upsample_rate
        h = np.repeat(hist, up) / _F32(up)
        bin_size = (_F32(orig_max) - _F32(orig_min)) / _F32(self.bins * up)
        mids = _linspace(orig_min, orig_max, self.bins * up + 1)[:-1] + _F32(0.5) * bin_size
        bounds = _linspace(update_min, update_max, self.bins + 1)
        idx = np.searchsorted(bounds, mids, side="right") - 1
        idx = np.clip(idx, 0, self.bins - 1)
        out = np.zeros(self.bins, np.float32)
        np.add.at(out, idx, h)  # sequential float32 sums, as torch.bincount's weights
        return out

    def reset_histogram(self, x: Tensor, min_val: Tensor, max_val: Tensor) -> None:
        _set(self.min_val, _f32(min_val))
        _set(self.max_val, _f32(max_val))
        if min_val.numel() != 1 or max_val.numel() != 1:
            raise AssertionError("histogram min/max values must be scalar.")
        _set(self.histogram, _histc(_f32(x).reshape(-1), self.bins, _f32(min_val),
                                    _f32(max_val)))

    # ------------------------------------------------------------------ the search
    def _compute_quantization_error(self, next_start_bin: int, next_end_bin: int) -> float:
        bins = self.bins
        bin_width = (float(_f32(self.max_val)) - float(_f32(self.min_val))) / bins
        dst_w = bin_width * (next_end_bin - next_start_bin + 1) / self.dst_nbins
        if dst_w == 0.0:
            return 0.0
        dw = _F32(dst_w)
        src_begin = (np.arange(bins) - next_start_bin).astype(np.float32) * _F32(bin_width)
        src_end = src_begin + _F32(bin_width)
        top = _F32(self.dst_nbins - 1)
        dst_of_begin = np.clip(np.floor_divide(src_begin, dw), _F32(0), top)
        dst_of_begin_center = (dst_of_begin + _F32(0.5)) * dw
        dst_of_end = np.clip(np.floor_divide(src_end, dw), _F32(0), top)
        density = _f32(self.histogram) / _F32(bin_width)
        half = _F32(dst_w / 2)
        norm = _get_norm(src_begin - dst_of_begin_center, np.full(bins, half, np.float32),
                         density)
        norm = norm + (dst_of_end - dst_of_begin - _F32(1)) * _get_norm(
            _F32(-dst_w / 2), half, density)
        dst_of_end_center = dst_of_end * dw + half
        norm = norm + _get_norm(_F32(-dst_w / 2), src_end - dst_of_end_center, density)
        return float(norm.sum(dtype=np.float32))

    def _non_linear_param_search(self) -> tuple[np.ndarray, np.ndarray]:
        """torch's search: shrink [start_bin, end_bin] from the lighter side while the L2
        quantization error keeps falling."""
        hist = _f32(self.histogram)
        if hist.shape[0] != self.bins:
            raise AssertionError("bins mismatch")
        mn, mx = _f32(self.min_val), _f32(self.max_val)
        bin_width = (mx - mn) / _F32(self.bins)
        total = float(hist.sum(dtype=np.float32))
        csum = np.cumsum(hist, dtype=np.float64).astype(np.float32).tolist()
        stepsize = 1e-5
        alpha, beta = 0.0, 1.0
        start_bin, end_bin = 0, self.bins - 1
        norm_min = float("inf")
        while alpha < beta:
            next_alpha = alpha + stepsize
            next_beta = beta - stepsize
            # first l in [start_bin, end_bin) with csum[l] >= threshold (torch scans for it)
            lo_thr = float(_F32(next_alpha * total))
            hi_thr = float(_F32(next_beta * total))
            l_ = bisect_left(csum, lo_thr, start_bin, end_bin)
            r = bisect_right(csum, hi_thr, start_bin + 1, end_bin + 1) - 1
            next_start_bin, next_end_bin = start_bin, end_bin
            if (l_ - start_bin) > (end_bin - r):
                next_start_bin = l_
                alpha = next_alpha
            else:
                next_end_bin = r
                beta = next_beta
            if next_start_bin == start_bin and next_end_bin == end_bin:
                continue
            norm = self._compute_quantization_error(next_start_bin, next_end_bin)
            if norm > norm_min:
                break
            norm_min = norm
            start_bin, end_bin = next_start_bin, next_end_bin
        new_min = mn + bin_width * _F32(start_bin)
        new_max = mn + bin_width * _F32(end_bin + 1)
        return np.asarray(new_min, np.float32), np.asarray(new_max, np.float32)

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        mn, mx = _f32(self.min_val), _f32(self.max_val)
        dev = self.min_val.device
        if mn == np.inf and mx == -np.inf:
            warnings.warn("must run observer before calling calculate_qparams. Returning "
                          "default scale and zero point ", stacklevel=2)
            return (make(np.array([1.0], np.float32), D.float32, dev),
                    make(np.array([0], np.int64), D.int64, dev))
        if self.bins != len(self.histogram):
            raise AssertionError("The number of bins in histogram should be equal to the number "
                                 "of bins supplied while making this observer")
        new_min, new_max = self._non_linear_param_search()
        return self._calculate_qparams(make(new_min, D.float32, dev),
                                       make(new_max, D.float32, dev))

    # ------------------------------------------------------------------ state
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "min_val"] = self.min_val
        destination[prefix + "max_val"] = self.max_val

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        version = local_metadata.get("version", None)
        if version is None or version < 3:  # uninitialised v2 buffers had shape [0]
            for name, v in (("min_val", np.inf), ("max_val", -np.inf)):
                key = prefix + name
                if key in state_dict and tuple(state_dict[key].shape) == (0,):
                    state_dict[key] = make(np.array(v, np.float32), D.float32, _dev())
        for name in ("min_val", "max_val"):
            key = prefix + name
            if key in state_dict:
                setattr(self, name, state_dict[key])
            elif strict:
                missing_keys.append(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"
