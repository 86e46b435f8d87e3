"""Optimizer: torch's base-class contract (param groups, per-parameter state, state_dict in
torch's format, step/state-dict hooks), plus the array helpers the optimizers' updates share.

The update math lives in each optimizer's file as small functions on backend arrays that
write in place (NumPy ufuncs with `out=`), the way MLX writes `apply_single`. `step()` only
gathers each parameter's arrays, runs the update function and bumps the parameter's version.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import state as _grad_state
from ..backends import as_strided
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]

_global_optimizer_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable] = OrderedDict()


class _RequiredParameter:
    """Marks a hyper-parameter every param group must give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Call hook(optimizer, args, kwargs) before every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Call hook(optimizer, args, kwargs) after every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _with_step_hooks(func: Callable) -> Callable:
    """Wrap a step(): pre hooks (may replace args/kwargs), the step, post hooks."""

    @functools.wraps(func)
    def step(*args: Any, **kwargs: Any) -> Any:
        self = args[0]
        pre = self._optimizer_step_pre_hooks
        if _global_optimizer_pre_hooks or pre:
            for hook in chain(_global_optimizer_pre_hooks.values(), pre.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{func} must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
        out = func(*args, **kwargs)
        post = self._optimizer_step_post_hooks
        if post or _global_optimizer_post_hooks:
            for hook in chain(post.values(), _global_optimizer_post_hooks.values()):
                hook(self, args, kwargs)
        return out

    step.hooked = True  # type: ignore[attr-defined]
    return step


def _typename(obj: Any) -> str:
    if isinstance(obj, Tensor):
        return f"ember.{type(obj).__name__}"
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class Optimizer:
    """Base class of all optimizers: torch.optim.Optimizer's contract.

    `step()` runs with grad mode off (a closure runs with it on). `differentiable=True` is not
    supported (the updates run on arrays in place).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _with_step_hooks(step)  # type: ignore[method-assign]

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        if defaults.get("differentiable"):
            raise NotImplementedError(f"{type(self).__name__}: differentiable=True is not "
                                      "supported by ember (updates run in place on arrays)")
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups: list[Any] = list(params)  # tensors, (name, tensor) pairs or dicts
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ pickling and printing
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        out = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyper-parameters) to optimize."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (
                    p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen: set[Tensor] = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients and steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; subclasses implement it."""
        raise NotImplementedError

    def _steps(self, closure: Callable[[], Any] | None) -> Any:
        """step() of the built-in optimizers: the closure (grad mode on), then
        _update_group(group) for each group with grad mode off and NumPy's warnings off (0/0
        gives nan silently, as in torch)."""
        loss = None
        prev = _grad_state.enabled
        try:
            if closure is not None:
                _grad_state.enabled = True
                loss = closure()
            _grad_state.enabled = False
            with np.errstate(all="ignore"):
                for group in self.param_groups:
                    self._update_group(group)
        finally:
            _grad_state.enabled = prev
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ hooks
    def _register(self, hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before step()."""
        return self._register(self._optimizer_step_pre_hooks, hook, False)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) -> None, after step()."""
        return self._register(self._optimizer_step_post_hooks, hook, False)

    def register_state_dict_pre_hook(self, hook: Callable,
                                     prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) -> None, before state_dict()."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable,
                                      prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) -> state_dict or None, after state_dict()."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) -> state_dict or None, before load_state_dict()."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) -> None, after load_state_dict()."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """{'state': {param index: {...}}, 'param_groups': [{..., 'params': [indices]}]}."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, sd)
            if result is not None:
                sd = result
        return sd

    @staticmethod
    def _cast_state(param: Tensor, value: Any, key: Any, group: dict | None) -> Any:
        """A loaded state value on the parameter's device (and dtype, for floating state)."""
        if isinstance(value, Tensor):
            if key == "step":
                if group is not None and (group.get("fused") or group.get("capturable")):
                    return value.to(dtype=D.float32, device=param.device)
                return value
            if param.is_floating_point():
                return value.to(dtype=param.dtype, device=param.device)
            return value.to(device=param.device)
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, k, group) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state(param, v, None, group) for v in value)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state_dict() (this optimizer's or torch's layout): state is matched to
        parameters by position in the groups."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        group_of = {i: g for g in state_dict["param_groups"] for i in g["params"]}
        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state(param, v, None, group_of.get(k))
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # ------------------------------------------------------------------ helpers for subclasses
    def _scratch(self, like: Any, i: int) -> Any:
        """Reusable temporary i shaped and typed like `like` (never part of the state)."""
        views = self.__dict__.get("_scratch_views")
        key = (like.shape, like.dtype, type(like), i)
        if views is not None:
            v = views.get(key)
            if v is not None:
                return v
        else:
            views = self.__dict__["_scratch_views"] = {}
            self.__dict__["_scratch_flat"] = {}
        flat = self.__dict__["_scratch_flat"]
        fkey = key[1:]
        n = like.size
        buf = flat.get(fkey)
        if buf is None or buf.size < n:
            mod = np if type(like) is np.ndarray else _array_module(like)
            buf = flat[fkey] = mod.empty(n, like.dtype)
            for k in [k for k in views if k[1:] == fkey]:  # views of the old buffer
                del views[k]
        v = views[key] = buf[:n].reshape(like.shape)
        return v

    def _step_tensor(self, device: Any = None, fused: bool = False) -> Tensor:
        """A fresh `step` counter: a 0-d float tensor (float32, or float64 under that default
        unless fused) on `device` (None: the default device)."""
        from ..ops.creation import zeros

        dtype = D.float64 if D.get_default_dtype() is D.float64 and not fused else D.float32
        return zeros((), dtype=dtype, device=device)

    def _fix_steps(self, on_param_device: Callable[[dict], bool]) -> None:
        """After loading: turn plain-number `step` entries into tensors, as torch does."""
        from ..ops.creation import tensor

        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                if st and "step" in st and not isinstance(st["step"], Tensor):
                    dtype = D.float64 if D.get_default_dtype() is D.float64 else D.float32
                    dev = p.device if on_param_device(group) else None
                    st["step"] = tensor(float(st["step"]), dtype=dtype, device=dev)


def _array_module(arr: Any) -> Any:
    import importlib

    return importlib.import_module(type(arr).__module__.split(".")[0])


_FAST = (np.dtype(np.float32), np.dtype(np.float64))


def _bump(step: Tensor) -> float:
    """step += 1 in place; the new value as a Python float."""
    a = step._data
    a[()] = float(a) + 1.0
    return float(a)


def _real(a: Any) -> Any:
    """A real view of a complex array with a trailing dimension of 2 (torch.view_as_real)."""
    r = a.real
    return as_strided(r, a.shape + (2,), r.strides + (r.itemsize,), writeable=True)


def run_update(fn: Callable, arrays: list, writes: tuple, opt: Optimizer, kw: dict,
               real: bool = True) -> None:
    """Run fn(*arrays, t1, t2, **kw) (t1, t2: scratch arrays) on arrays of any float dtype.

    float32/float64 run as they are. Complex arrays become real views when `real` (torch's
    view_as_real), float16/bfloat16 are computed in float32 and the arrays at the indices in
    `writes` are rounded back (torch rounds after every op; results agree to half precision).
    """
    a0 = arrays[0]
    if a0.dtype in _FAST:
        fn(*arrays, opt._scratch(a0, 0), opt._scratch(a0, 1), **kw)
        return
    if a0.dtype.kind == "c":
        if real:
            arrays = [None if a is None else _real(a) for a in arrays]
        a0 = arrays[0]
        fn(*arrays, opt._scratch(a0, 0), opt._scratch(a0, 1), **kw)
        return
    work = [None if a is None else a.astype(np.float32) for a in arrays]
    fn(*work, opt._scratch(work[0], 0), opt._scratch(work[0], 1), **kw)
    for i in writes:
        if arrays[i] is not None:
            arrays[i][...] = work[i]


def check_lr(lr: Any) -> None:
    """torch's learning-rate checks: a 1-element Tensor or a number >= 0."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def scalar(x: Any) -> Any:
    """A hyper-parameter as a Python number (1-element tensors are read out)."""
    return x.item() if isinstance(x, Tensor) else x


def check_fused(fused: Any, foreach: Any, differentiable: bool) -> None:
    """torch's flag combinations: fused excludes foreach and differentiable."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
