"""Fuser methods that the default backend configs attach to their fusion patterns.

Each takes (is_qat, *modules in execution order) and returns one module, like torch's
fuser_method_mappings; the module classes are imported when a fusion runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _nni() -> Any:
    import ember.ao.nn.intrinsic as nni

    return nni


def _check_same_mode(*mods: Any) -> None:
    if len({m.training for m in mods}) != 1:
        raise AssertionError(
            "Conv/Linear and BN both must be in the same mode (train or eval), got "
            + ", ".join(f"{type(m).__name__}.training={m.training}" for m in mods)
        )


_CONV_BN = {"Conv1d": "ConvBn1d", "Conv2d": "ConvBn2d", "Conv3d": "ConvBn3d"}
_CONV_BN_RELU = {"Conv1d": "ConvBnReLU1d", "Conv2d": "ConvBnReLU2d", "Conv3d": "ConvBnReLU3d"}
_CONV_RELU = {"Conv1d": "ConvReLU1d", "Conv2d": "ConvReLU2d", "Conv3d": "ConvReLU3d"}


def _fused_class(table: dict[str, str], conv: Any) -> Any:
    name = table.get(type(conv).__name__)
    cls = getattr(_nni(), name, None) if name else None
    if cls is None:
        raise NotImplementedError(f"Cannot fuse {type(conv).__name__}: no fused module for it")
    return cls


def fuse_conv_bn(is_qat: bool, conv: Any, bn: Any) -> Any:
    """conv + bn: a ConvBn module for QAT, else conv with bn folded into its weights."""
    from ember.nn.utils.fusion import fuse_conv_bn_eval

    _check_same_mode(conv, bn)
    if is_qat:
        if bn.num_features != conv.out_channels:
            raise AssertionError("Output channel of Conv must match num_features of BatchNorm")
        if not (bn.affine and bn.track_running_stats):
            raise AssertionError("Only support fusing BatchNorm with affine and tracked stats")
        return _fused_class(_CONV_BN, conv)(conv, bn)
    return fuse_conv_bn_eval(conv, bn)


def fuse_conv_bn_relu(is_qat: bool, conv: Any, bn: Any, relu: Any) -> Any:
    """conv + bn + relu: ConvBnReLU for QAT, else ConvReLU around the folded conv."""
    from ember.nn.utils.fusion import fuse_conv_bn_eval

    _check_same_mode(conv, bn)
    if is_qat:
        return _fused_class(_CONV_BN_RELU, conv)(conv, bn, relu)
    return _fused_class(_CONV_RELU, conv)(fuse_conv_bn_eval(conv, bn), relu)


def fuse_linear_bn(is_qat: bool, linear: Any, bn: Any) -> Any:
    """linear + bn1d: LinearBn1d for QAT, else linear with bn folded in."""
    from ember.nn.utils.fusion import fuse_linear_bn_eval

    _check_same_mode(linear, bn)
    if is_qat:
        return _nni().LinearBn1d(linear, bn)
    return fuse_linear_bn_eval(linear, bn)


def fuse_convtranspose_bn(is_qat: bool, convt: Any, bn: Any) -> Any:
    """convtranspose + bn: folded in eval; QAT has no fused module, as in torch."""
    from ember.nn.utils.fusion import fuse_conv_bn_eval

    _check_same_mode(convt, bn)
    if is_qat:
        raise Exception("Fusing ConvTranspose+BatchNorm not yet supported in QAT.")  # noqa: TRY002
    return fuse_conv_bn_eval(convt, bn, transpose=True)


def sequential_wrapper2(fused_cls_name: str) -> Callable[..., Any]:
    """A fuser that wraps two modules in the named ember.ao.nn.intrinsic class."""

    def fuser(is_qat: bool, m1: Any, m2: Any) -> Any:
        return getattr(_nni(), fused_cls_name)(m1, m2)

    fuser.__name__ = f"fuse_{fused_cls_name}"
    return fuser


def reverse2(f: Callable[..., Any]) -> Callable[..., Any]:
    """Adapt f(is_qat, a, b) to the matcher's reversed order (is_qat, b, a)."""

    def g(is_qat: bool, b: Any, a: Any) -> Any:
        return f(is_qat, a, b)

    return g


def reverse3(f: Callable[..., Any]) -> Callable[..., Any]:
    """Adapt f(is_qat, a, b, c) to the reversed nested order (is_qat, c, (b, a))."""

    def g(is_qat: bool, c: Any, ba: Any) -> Any:
        b, a = ba
        return f(is_qat, a, b, c)

    return g
