"""Run ember's converted graph node by node on torch's values: each quantized op is compared
on identical inputs, so a difference is the op's own (a rounding tie), not an earlier one's."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember


def _to_ember(v: Any) -> Any:
    import torch

    if isinstance(v, torch.Tensor):
        if v.is_quantized:
            ints = ember.from_numpy(v.int_repr().numpy().copy())
            return ember._make_per_tensor_quantized_tensor(ints, v.q_scale(), v.q_zero_point())
        return ember.from_numpy(v.detach().numpy().copy())
    if isinstance(v, (list, tuple)):
        return type(v)(_to_ember(x) for x in v)
    if isinstance(v, torch.Size):
        return tuple(v)
    return v


def _torch_values(ct: Any, args: tuple[Any, ...]) -> dict[str, Any]:
    import torch.fx

    vals: dict[str, Any] = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n: Any) -> Any:
            r = super().run_node(n)
            vals[n.name] = r
            return r

    with __import__("torch").no_grad():
        Recorder(ct).run(*args)
    return vals


def compare_nodes(ce: Any, ct: Any, torch_args: tuple[Any, ...]) -> dict[str, tuple[int, int]]:
    """node name -> (elements off by one, elements) for every node producing a quantized
    tensor; raises if an integer differs by more than one or qparams differ."""
    from ember.fx import map_arg

    tvals = _torch_values(ct, torch_args)
    pairs = list(zip(ce.graph.nodes, ct.graph.nodes))
    t_of = {en: tn for en, tn in pairs}
    out: dict[str, tuple[int, int]] = {}
    for en, tn in pairs:
        if en.op not in ("call_module", "call_function", "call_method"):
            continue

        def fetch(n: Any) -> Any:
            if n.op == "get_attr":
                obj: Any = ce
                for p in str(n.target).split("."):
                    obj = getattr(obj, p)
                return obj
            return _to_ember(tvals[t_of[n].name])

        args = map_arg(en.args, fetch)
        kwargs = map_arg(en.kwargs, fetch)
        with ember.no_grad():
            if en.op == "call_module":
                got = ce.get_submodule(en.target)(*args, **kwargs)
            elif en.op == "call_function":
                got = en.target(*args, **kwargs)
            else:
                got = getattr(args[0], en.target)(*args[1:], **kwargs)
        want = tvals[tn.name]
        if not (getattr(want, "is_quantized", False) and getattr(got, "is_quantized", False)):
            continue
        assert got.q_scale() == want.q_scale() and got.q_zero_point() == want.q_zero_point(), (
            f"{en.name}: qparams ({got.q_scale()}, {got.q_zero_point()}) != "
            f"({want.q_scale()}, {want.q_zero_point()})"
        )
        d = np.abs(
            got.int_repr().numpy().astype(np.int64) - want.int_repr().numpy().astype(np.int64)
        )
        assert d.max(initial=0) <= 1, f"{en.name}: integers differ by {d.max()}"
        out[en.name] = (int(np.count_nonzero(d)), int(d.size))
    return out


def copy_observers(pe: Any, pt: Any) -> None:
    """Give ember's observers torch's calibration statistics (bitwise), so that both convert
    from identical qparams and the comparison isolates the quantized kernels."""
    me = dict(pe.named_modules(remove_duplicate=False))
    mt = dict(pt.named_modules(remove_duplicate=False))
    for name, m in me.items():
        if "activation_post_process" in name:
            m.load_state_dict(
                {
                    k: ember.from_numpy(v.detach().numpy().copy())
                    for k, v in mt[name].state_dict().items()
                }
            )
