"""ember.library: user ops (Python or C++ functions) that autograd, fx and meta treat as built-ins.

`custom_op`, `register_autograd`, `register_fake`, `register_kernel`, `define`, `impl` and
`Library` follow torch.library. Each op is published as `ember.ops.<ns>.<name>` (and
`ember.library.ops.<ns>.<name>`); calling it crosses the registry's dispatch point, so
`__torch_function__` overrides (fx's Proxy) see it as one call. Differs from torch: kernels are
chosen by the device type of the tensor arguments (cpu, cuda, meta); `meta` runs the fake;
gradients flow only to top-level Tensor arguments (not to tensors inside a Tensor[] argument).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import state as _gm
from ..ops import _registry
from ._schema import Schema, infer_schema

__all__ = [
    "custom_op",
    "CustomOpDef",
    "register_autograd",
    "register_fake",
    "register_kernel",
    "define",
    "impl",
    "Library",
    "infer_schema",
    "ops",
]


# ------------------------------------------------------------------------------------ the op
_OPS: dict[str, _Op] = {}
_DEVICE_KEYS = {
    "cpu": "cpu",
    "cuda": "cuda",
    "meta": "meta",
    "default": "default",
    "compositeexplicitautograd": "default",
    "compositeimplicitautograd": "implicit",
}


def _key(types: str | Sequence[str] | None) -> list[str]:
    if types is None:
        return ["default"]
    out = []
    for t in [types] if isinstance(types, str) else types:
        k = _DEVICE_KEYS.get(str(t).lower())
        if k is None:
            raise ValueError(
                f"unknown device type / dispatch key {t!r}; expected one of cpu, "
                f"cuda, meta, CompositeExplicitAutograd, CompositeImplicitAutograd"
            )
        out.append(k)
    return out


def _tensors(values: Iterable) -> list[Tensor]:
    out: list[Tensor] = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(x for x in v if isinstance(x, Tensor))
    return out


class _Op:
    """One operator: its schema, kernels per device type, fake and autograd formula."""

    def __init__(self, qualname: str, schema: str) -> None:
        ns, _, name = qualname.partition("::")
        if not ns or not name or not re.fullmatch(r"\w+", ns) or not re.fullmatch(r"\w+", name):
            raise ValueError(f"expected an op name 'namespace::name', got {qualname!r}")
        if qualname in _OPS:
            raise RuntimeError(f"an operator named {qualname} already exists")
        self.qualname, self.ns, self.name = qualname, ns, name
        self.schema = Schema(schema)
        self.mutated = [a.name for a in self.schema.args if a.mutable]
        self.n_positional = sum(not a.kwarg_only for a in self.schema.args)
        self.kernels: dict[str, Callable] = {}
        self.fake: Callable | None = None
        self.backward: Callable | None = None
        self.setup_context: Callable | None = None
        self.fn_cls: Any = self._make_function()
        self.dispatcher = _registry._wrap(self._call, name, "function", f"{ns}.{name}")
        d = self.dispatcher
        d.__module__ = "ember.ops"
        sig = self.schema.text[self.schema.text.index("(") :]
        d.__doc__ = f"The custom operator {qualname}{sig}."
        d.default = d  # type: ignore[attr-defined]  # torch.ops.ns.name.default
        d._schema = f"{qualname}{sig}"  # type: ignore[attr-defined]
        d._ember_op = self  # type: ignore[attr-defined]
        _OPS[qualname] = self
        _publish(self)

    def _make_function(self) -> type:
        """The autograd.Function an op runs as when a gradient is needed. As in torch, it is
        applied to the positional arguments plus one dict of the keyword-only ones; backward
        returns one gradient per positional argument."""
        op = self

        def forward(*args: Any) -> Any:
            pos, kw = args[:-1], args[-1]
            return op._kernel(pos)(*pos, **kw)

        def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
            if op.setup_context is None:
                return
            if op.n_positional < len(op.schema.args):
                op.setup_context(
                    ctx=ctx, inputs=inputs[:-1], keyword_only_inputs=inputs[-1], output=output
                )
            else:
                op.setup_context(ctx=ctx, inputs=inputs[:-1], output=output)

        def backward(ctx: Any, *grads: Any) -> Any:
            if op.backward is None:
                raise RuntimeError(
                    f"Trying to backward through {op.ns}.{op.name}.default but "
                    f"no autograd formula was registered. Please use "
                    f"register_autograd to add one."
                )
            full = ctx.needs_input_grad
            ctx.needs_input_grad = full[:-1]
            try:
                res = op.backward(ctx, *grads)
            finally:
                ctx.needs_input_grad = full
            res = res if isinstance(res, tuple) else (res,)
            if len(res) != op.n_positional:
                raise RuntimeError(
                    f"{op.qualname}: the backward registered with register_autograd returned "
                    f"{len(res)} gradients, expected {op.n_positional} (one per positional "
                    f"argument, None for non-Tensor ones)"
                )
            return (*res, None)

        name = f"GeneratedBackwardFor_{self.ns}_{self.name}_default"
        return type(
            name,
            (Function,),
            {
                "forward": staticmethod(forward),
                "setup_context": staticmethod(setup_context),
                "backward": staticmethod(backward),
                "__module__": "ember.library",
            },
        )

    def _kernel(self, args: Sequence) -> Callable:
        ts = _tensors(args)
        dev = ts[0].device.type if ts else "cpu"
        if dev == "meta":
            if self.fake is not None:
                return self.fake
            if "implicit" in self.kernels:  # made of ember ops, which run on meta
                return self.kernels["implicit"]
            raise RuntimeError(
                f"There was no fake impl registered for <CustomOpDef"
                f"({self.qualname})>. This is necessary for the meta device and "
                f"fx shape propagation. Please use register_fake to add one."
            )
        k = self.kernels.get(dev) or self.kernels.get("default") or self.kernels.get("implicit")
        if k is None:
            raise NotImplementedError(
                f"Could not run '{self.qualname}' with arguments from the "
                f"'{dev}' device: no kernel was registered for it "
                f"(registered: {sorted(self.kernels) or 'none'})"
            )
        return k

    def _invoke(self, kernel: Callable, bound: Sequence) -> Any:
        """Call a kernel with keyword-only schema arguments passed by keyword, as torch does."""
        n = self.n_positional
        if n == len(bound):
            return kernel(*bound)
        kw = {a.name: v for a, v in zip(self.schema.args[n:], bound[n:])}
        return kernel(*bound[:n], **kw)

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        bound = self.schema.bind(self.qualname, args, kwargs)
        kernel = self._kernel(bound)
        n = self.n_positional
        needs_grad = (
            _gm.enabled
            and any(t._requires_grad for t in _tensors(bound[:n]))
            and kernel is not self.kernels.get("implicit")
        )
        if needs_grad:
            kw = {a.name: v for a, v in zip(self.schema.args[n:], bound[n:])}
            out = self.fn_cls.apply(*bound[:n], kw)
        else:
            out = self._invoke(kernel, bound)
        for a, v in zip(self.schema.args, bound):
            if a.mutable and isinstance(v, Tensor):
                v._bump_version()
        self._check_output(out)
        return out

    def _check_output(self, out: Any) -> None:
        rets = self.schema.returns
        if self.schema.returns_tuple:
            n = len(rets)
            if n == 0:
                if out is not None:
                    raise RuntimeError(
                        f"{self.qualname}: the schema returns () but the kernel "
                        f"returned {type(out).__name__}"
                    )
                return
            if not isinstance(out, (tuple, list)) or len(out) != n:
                raise RuntimeError(
                    f"{self.qualname}: the schema returns {n} values but the "
                    f"kernel returned {type(out).__name__}"
                )
        elif rets[0] == "Tensor" and not isinstance(out, Tensor):
            raise RuntimeError(
                f"{self.qualname}: the schema returns a Tensor but the kernel "
                f"returned {type(out).__name__}"
            )


# ------------------------------------------------------------------------------------ names
class _OpNamespace:
    """`ember.ops.<ns>`: the ops defined in one namespace, as attributes."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<ember.ops namespace '{self.name}'>"

    def __getattr__(self, op: str) -> Any:
        raise AttributeError(f"'_OpNamespace' '{self.name}' object has no attribute '{op}'")


class _Ops:
    def __getattr__(self, ns: str) -> _OpNamespace:
        if ns.startswith("__"):
            raise AttributeError(ns)
        space = _OpNamespace(ns)
        setattr(self, ns, space)
        return space


ops = _Ops()


def _publish(op: _Op) -> None:
    from .. import ops as ops_pkg

    space = getattr(ops, op.ns)
    setattr(space, op.name, op.dispatcher)
    existing = getattr(ops_pkg, op.ns, None)
    if existing is None:
        setattr(ops_pkg, op.ns, space)
    # a namespace named like an ember.ops module (e.g. 'linalg') stays in ember.library.ops


def _resolve(op: Any) -> _Op:
    if isinstance(op, CustomOpDef):
        return op._op
    if isinstance(op, str):
        found = _OPS.get(op)
        if found is None:
            raise RuntimeError(
                f"operator {op} does not exist; define it first with define() or custom_op()"
            )
        return found
    found = getattr(op, "_ember_op", None)
    if isinstance(found, _Op):
        return found
    raise TypeError(
        f"expected an operator (a 'ns::name' string, a CustomOpDef or "
        f"ember.ops.<ns>.<name>), got {type(op).__name__}"
    )


# ------------------------------------------------------------------------------------ API
class CustomOpDef:
    """What `custom_op` returns: call it like the function; register fake/autograd on it."""

    def __init__(self, op: _Op, fn: Callable | None) -> None:
        self._op = op
        self._init_fn = fn
        self._opoverload = op.dispatcher
        self._name = op.qualname
        if fn is not None:
            self.__doc__ = fn.__doc__
            self.__name__ = getattr(fn, "__name__", op.name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._op.dispatcher(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<CustomOpDef({self._op.qualname})>"

    def register_fake(self, fn: Callable) -> Callable:
        return register_fake(self, fn)

    def register_autograd(
        self, backward: Callable, *, setup_context: Callable | None = None
    ) -> None:
        register_autograd(self, backward, setup_context=setup_context)

    def register_kernel(
        self, device_types: str | Sequence[str] | None, fn: Callable | None = None
    ) -> Any:
        return register_kernel(self, device_types, fn)


def custom_op(
    name: str,
    fn: Callable | None = None,
    /,
    *,
    mutates_args: Iterable[str] | str,
    device_types: str | Sequence[str] | None = None,
    schema: str | None = None,
    tags: Any = None,
) -> Any:
    """Wrap `fn` (Python, or a C++ function with `schema=`) as the operator `name` ('ns::op')."""

    def deco(f: Callable) -> CustomOpDef:
        if schema is None:
            s = infer_schema(f, mutates_args=mutates_args)
        else:
            s = schema
        op = _Op(name, s)
        declared = set(op.mutated)
        wanted = set([mutates_args] if isinstance(mutates_args, str) else mutates_args)
        if schema is not None:
            wanted = declared if mutates_args == "unknown" else wanted
        if mutates_args != "unknown" and declared != wanted:
            raise ValueError(
                f"{name}: mutates_args {sorted(wanted)} does not match the mutable "
                f"arguments of the schema {sorted(declared)}"
            )
        for k in _key(device_types):
            op.kernels[k] = f
        return CustomOpDef(op, f)

    return deco(fn) if fn is not None else deco


def register_fake(
    op: Any, func: Callable | None = None, /, *, lib: Any = None, _stacklevel: int = 1
) -> Any:
    """The shape-only implementation used on the meta device (and by fx shape propagation)."""

    def deco(f: Callable) -> Callable:
        _resolve(op).fake = f
        return f

    return deco(func) if func is not None else deco


def register_autograd(
    op: Any, backward: Callable, /, *, setup_context: Callable | None = None, lib: Any = None
) -> None:
    """backward(ctx, *grads) returns one gradient per positional argument; setup_context(ctx,
    inputs, output) (plus keyword_only_inputs= when the schema has some) saves what it needs."""
    o = _resolve(op)
    o.backward = backward
    o.setup_context = setup_context


def register_kernel(
    op: Any,
    device_types: str | Sequence[str] | None,
    func: Callable | None = None,
    /,
    *,
    lib: Any = None,
) -> Any:
    """The implementation for some device types (None: all of them)."""

    def deco(f: Callable) -> Callable:
        o = _resolve(op)
        for k in _key(device_types):
            if k == "meta":
                o.fake = f
            else:
                o.kernels[k] = f
        return f

    return deco(func) if func is not None else deco


def define(qualname: str, schema: str | None = None, *, lib: Any = None, tags: Any = ()) -> None:
    """Declare `qualname` ('ns::op') with `schema` ('(Tensor x) -> Tensor'); `impl` adds
    kernels. `define('ns::op(Tensor x) -> Tensor')` with the schema inline also works."""
    if schema is None:
        qualname, paren, rest = qualname.partition("(")
        if not paren:
            raise RuntimeError(f"define({qualname!r}): no schema given")
        schema = "(" + rest
    _Op(qualname.strip(), schema)


def impl(
    qualname: str, types: str | Sequence[str], func: Callable | None = None, *, lib: Any = None
) -> Any:
    """Register `func` as the kernel of `qualname` for `types` ('cpu', 'meta',
    'CompositeExplicitAutograd', 'CompositeImplicitAutograd': autograd through its ops)."""
    return register_kernel(qualname, types, func)


class Library:
    """torch.library.Library(ns, 'DEF' | 'FRAGMENT' | 'IMPL'): define and impl under `ns`."""

    def __init__(self, ns: str, kind: str, dispatch_key: str = "") -> None:
        if kind not in ("DEF", "FRAGMENT", "IMPL"):
            raise ValueError(f"Unsupported kind: {kind}")
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key

    def define(self, schema: str, alias_analysis: str = "", *, tags: Any = ()) -> str:
        name, paren, rest = schema.partition("(")
        if not paren:
            raise RuntimeError(f"Library.define({schema!r}): expected 'name(args) -> returns'")
        define(f"{self.ns}::{name.strip()}", "(" + rest)
        return name.strip()

    def impl(
        self,
        op_name: str | Callable,
        fn: Callable,
        dispatch_key: str = "",
        *,
        with_keyset: bool = False,
    ) -> None:
        name = op_name if isinstance(op_name, str) else _resolve(op_name).qualname
        qual = name if "::" in name else f"{self.ns}::{name}"
        register_kernel(qual, dispatch_key or self.dispatch_key or "CompositeExplicitAutograd", fn)
