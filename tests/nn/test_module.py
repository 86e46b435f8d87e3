"""nn.Module against torch: the same module code run on both frameworks."""

from __future__ import annotations

import copy
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import assert_close, to_numpy, torch

RNG = np.random.default_rng(0)
W1 = RNG.standard_normal((4, 3)).astype(np.float32)
B1 = RNG.standard_normal(4).astype(np.float32)
W2 = RNG.standard_normal((2, 4)).astype(np.float32)
B2 = RNG.standard_normal(2).astype(np.float32)
X = RNG.standard_normal((5, 3)).astype(np.float32)


def norm(s: str) -> str:
    return str(s).replace("torch.", "ember.")


def models(m):
    """Classes written once against module `m` (torch or ember)."""
    nn = m.nn

    class Lin(nn.Module):
        def __init__(self, w, b):
            super().__init__()
            self.weight = nn.Parameter(m.tensor(w))
            self.bias = nn.Parameter(m.tensor(b))
            self.register_buffer("count", m.zeros((), dtype=m.int64))
            self.register_buffer("scratch", m.zeros(2), persistent=False)

        def forward(self, x):
            return x @ self.weight.t() + self.bias

        def extra_repr(self):
            return f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}"

    class Act(nn.Module):
        def forward(self, x):
            return x * (x > 0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = Lin(W1, B1)
            self.act = Act()
            self.fc2 = Lin(W2, B2)
            self.register_buffer("steps", m.zeros(3))
            self.register_parameter("missing", None)
            self.shared = self.fc1  # a duplicate reference

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    return Lin, Act, Net


_ELin, _EAct, _ENet = models(ember)
_ENet.__qualname__ = "_ENet"  # picklable: reachable as a module attribute
_ELin.__qualname__ = "_ELin"
_EAct.__qualname__ = "_EAct"


def both(fn):
    """fn(m, *models(m)) for torch and ember."""
    return fn(ember, *models(ember)), fn(torch, *models(torch))


def test_named_members_order_and_options():
    def f(m, Lin, Act, Net):
        n = Net()
        return (
            [k for k, _ in n.named_parameters()],
            [k for k, _ in n.named_parameters(prefix="model", recurse=True)],
            [k for k, _ in n.named_parameters(remove_duplicate=False)],
            [k for k, _ in n.named_parameters(recurse=False)],
            [k for k, _ in n.named_buffers()],
            [k for k, _ in n.named_buffers(remove_duplicate=False)],
            [k for k, _ in n.named_modules()],
            [k for k, _ in n.named_modules(remove_duplicate=False)],
            [k for k, _ in n.named_modules(prefix="root")],
            [k for k, _ in n.named_children()],
            len(list(n.parameters())), len(list(n.buffers())), len(list(n.modules())),
            len(list(n.children())), [k for k in dir(n) if k in ("fc1", "act", "steps", "missing", "shared", "training",
                                       "forward", "_parameters")],
        )

    e, t = both(f)
    assert e == t


def test_state_dict_keys_values_and_keep_vars():
    def f(m, Lin, Act, Net):
        n = Net()
        sd = n.state_dict()
        kv = n.state_dict(keep_vars=True)
        pre = n.state_dict(prefix="p.")
        return (type(sd).__name__, list(sd), list(pre), [type(v).__name__ for v in kv.values()],
                [v.requires_grad for v in sd.values()], dict(sd._metadata),
                [to_numpy(v).tolist() for v in sd.values()])

    e, t = both(f)
    assert e == t


def test_load_state_dict_roundtrip_and_errors():
    def f(m, Lin, Act, Net):
        n, other = Net(), Net()
        with m.no_grad():
            for p in other.parameters():
                p.mul_(2)
        w = n.fc1.weight
        ok = n.load_state_dict(other.state_dict())
        out = [repr(ok), w is n.fc1.weight, to_numpy(n.fc1.weight).tolist()]
        sd = other.state_dict()
        sd["fc1.weight"] = m.zeros(2, 2)
        del sd["fc2.bias"]
        sd["fc3.weight"] = m.zeros(1)
        sd["extra"] = m.zeros(1)
        with pytest.raises(RuntimeError) as info:
            n.load_state_dict(sd)
        out.append(norm(info.value))
        sd2 = other.state_dict()
        del sd2["fc2.bias"]
        sd2["fc3.weight"] = m.zeros(1)
        res = n.load_state_dict(sd2, strict=False)
        out += [type(res).__name__, res.missing_keys, res.unexpected_keys, repr(res)]
        with pytest.raises(TypeError) as info:
            n.load_state_dict([1, 2])
        out.append(type(info.value).__name__)
        bad = other.state_dict()
        bad["fc1.bias"] = 3
        with pytest.raises(RuntimeError) as info:
            n.load_state_dict(bad)
        out.append(norm(info.value).replace("<class 'int'>", "int"))
        return out

    e, t = both(f)
    assert e == t


def test_load_state_dict_assign_and_scalar_broadcast():
    def f(m, Lin, Act, Net):
        n = Net()
        sd = {k: v.clone() * 3 for k, v in n.state_dict().items()}
        sd["fc1.count"] = m.tensor([7])  # a 1-element vector loads into a 0-d buffer
        sd["fc2.count"] = m.tensor([8])
        w = n.fc1.weight
        n.load_state_dict(sd, assign=True)
        return (w is n.fc1.weight, type(n.fc1.weight).__name__, n.fc1.weight.requires_grad,
                n.fc1.count.item(), to_numpy(n.fc2.bias).tolist())

    e, t = both(f)
    assert e == t


def test_extra_state_and_state_dict_hooks():
    def f(m, Lin, Act, Net):
        calls = []

        class WithExtra(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.v = 1

            def get_extra_state(self):
                return {"v": self.v}

            def set_extra_state(self, state):
                self.v = state["v"]

        n = WithExtra()
        n.register_state_dict_pre_hook(lambda mod, prefix, kv: calls.append(("pre", prefix)))
        n.register_state_dict_post_hook(
            lambda mod, sd, prefix, meta: calls.append(("post", list(sd))))
        h = n.register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, *a: calls.append(("lpre", list(sd))))
        n.register_load_state_dict_post_hook(
            lambda mod, keys: calls.append(("lpost", list(keys.missing_keys))))
        sd = n.state_dict()
        sd["_extra_state"] = {"v": 5}
        n.load_state_dict(sd)
        h.remove()
        n.load_state_dict(sd)
        with pytest.raises(RuntimeError) as info:
            n.load_state_dict({})
        return calls, n.v, norm(info.value)

    e, t = both(f)
    assert e == t


def test_repr_tree():
    def f(m, Lin, Act, Net):
        n = Net()

        class Multi(m.nn.Module):
            def extra_repr(self):
                return "a=1\nb=2"

        n.multi = Multi()
        n.empty = None
        return repr(n)

    e, t = both(f)
    assert e == t


def test_setattr_routing_and_errors():
    def f(m, Lin, Act, Net):
        n = Net()
        out = []
        n.fc1 = None  # a module slot accepts None
        out.append([k for k, _ in n.named_modules(remove_duplicate=False)])
        n.fc1 = Act()
        n.steps = m.ones(3)  # stays a buffer
        out.append(("steps" in n._buffers, "steps" in n.__dict__))
        n.plain = m.ones(1)  # a plain tensor is a plain attribute
        out.append(("plain" in n._buffers, "plain" in n.__dict__))
        n.buf = m.nn.Buffer(m.ones(2), persistent=False)
        out.append(("buf" in n._buffers, "buf" in n.state_dict()))
        n.fc2.bias = None
        out.append([k for k, _ in n.named_parameters()])
        del n.steps
        del n.act
        out.append((list(n._buffers), list(n._modules)))
        for fn in (lambda: setattr(n, "missing", m.ones(1)),
                   lambda: setattr(n, "fc2", 3),
                   lambda: n.register_parameter("a.b", None),
                   lambda: n.register_parameter("", None),
                   lambda: n.register_parameter("plain", None),
                   lambda: n.register_parameter("x", m.ones(1)),
                   lambda: n.register_parameter("x", m.nn.Parameter(m.ones(1)) * 2),
                   lambda: n.register_buffer("plain", m.ones(1)),
                   lambda: n.register_buffer("y", 3),
                   lambda: n.add_module("z", 3),
                   lambda: n.add_module("q.r", Act()),
                   lambda: n.nothing):
            with pytest.raises(Exception) as info:
                fn()
            out.append((type(info.value).__name__, norm(info.value)))

        class Early(m.nn.Module):
            def __init__(self):
                self.w = m.nn.Parameter(m.ones(1))

        with pytest.raises(AttributeError) as info:
            Early()
        out.append(str(info.value))
        with pytest.raises(TypeError) as info:
            m.nn.Module(3)
        out.append(str(info.value))
        return out

    e, t = both(f)
    assert e == t


def test_get_submodule_parameter_buffer():
    def f(m, Lin, Act, Net):
        n = Net()
        out = [n.get_submodule("fc1") is n.fc1, n.get_submodule("") is n,
               n.get_parameter("fc2.bias") is n.fc2.bias, n.get_buffer("fc1.count") is
               n.fc1.count]
        for fn in (lambda: n.get_submodule("nope"), lambda: n.get_submodule("fc1.weight"),
                   lambda: n.get_parameter("fc1.count"), lambda: n.get_buffer("fc1.weight"),
                   lambda: n.get_parameter("fc1.zz")):
            with pytest.raises(AttributeError) as info:
                fn()
            out.append(str(info.value))
        n.set_submodule("fc1", Act())
        out.append(type(n.fc1).__name__)
        return out

    e, t = both(f)
    assert e == t


def test_forward_hooks_order_kwargs_prepend_and_removal():
    def f(m, Lin, Act, Net):
        calls = []
        n = Net()
        h1 = n.register_forward_pre_hook(lambda mod, args: calls.append("pre1"))
        n.register_forward_pre_hook(lambda mod, args: calls.append("pre0"), prepend=True)
        n.register_forward_pre_hook(
            lambda mod, args, kw: (calls.append(("prekw", sorted(kw))), ((args[0] * 2,), kw))[1],
            with_kwargs=True)
        n.register_forward_hook(lambda mod, args, out: calls.append("post1"))
        n.register_forward_hook(lambda mod, args, kw, out: out + 1, with_kwargs=True)
        n.register_forward_hook(lambda mod, args, out: calls.append("post0"), prepend=True)
        n.fc1.register_forward_hook(lambda mod, args, out: calls.append("fc1"))
        y = n(m.tensor(X))
        h1.remove()
        calls.append("--")
        y2 = n(m.tensor(X))
        with h1:
            pass
        return calls, to_numpy(y).tolist(), to_numpy(y2).tolist()

    (ce, ye, y2e), (ct, yt, y2t) = both(f)
    assert ce == ct
    np.testing.assert_allclose(ye, yt, rtol=1e-5)
    np.testing.assert_allclose(y2e, y2t, rtol=1e-5)


def test_always_call_hook_runs_on_error():
    def f(m, Lin, Act, Net):
        calls = []

        class Boom(m.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        b = Boom()
        b.register_forward_hook(lambda mod, a, o: calls.append(("always", o)), always_call=True)
        b.register_forward_hook(lambda mod, a, o: calls.append("normal"))
        with pytest.raises(ValueError):
            b(1)
        return calls

    e, t = both(f)
    assert e == t


def test_full_backward_hooks():
    def f(m, Lin, Act, Net):
        calls = []
        n = Net()

        def bw(mod, gin, gout):
            calls.append(("bw", type(mod).__name__, [None if g is None else to_numpy(g).tolist()
                                                     for g in gin],
                          [to_numpy(g).tolist() for g in gout]))

        def bw_pre(mod, gout):
            calls.append(("pre", type(mod).__name__))
            return (gout[0] * 2,)

        n.fc2.register_full_backward_hook(bw)
        n.fc2.register_full_backward_pre_hook(bw_pre)
        n.fc1.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 0,))
        x = m.tensor(X, requires_grad=True)
        y = n(x)
        out_name = y.grad_fn.name()
        y.sum().backward()
        return calls, to_numpy(x.grad).tolist(), to_numpy(n.fc1.weight.grad).tolist(), out_name

    e, t = both(f)
    assert e[0][0][:2] == t[0][0][:2] and e[0][1][:2] == t[0][1][:2]
    for a, b in zip(e[0][1][2:], t[0][1][2:]):
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e[1], t[1])
    np.testing.assert_allclose(e[2], t[2], rtol=1e-5)
    assert e[3] == t[3] == "BackwardHookFunctionBackward"


def test_backward_hook_no_input_grad_and_mixing_errors():
    def f(m, Lin, Act, Net):
        calls = []
        n = Net()
        n.fc2.register_full_backward_hook(
            lambda mod, gin, gout: calls.append((gin, len(gout))))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            n(m.tensor(X)).sum().backward()
        with pytest.raises(RuntimeError) as info:
            n.fc2.register_backward_hook(lambda *a: None)
        return [(c[0][0] is None, c[1]) for c in calls], len(w) >= 1, str(info.value)

    e, t = both(f)
    assert e == t


def test_train_eval_apply_requires_grad_zero_grad():
    def f(m, Lin, Act, Net):
        n = Net()
        n.eval()
        out = [[mod.training for mod in n.modules()]]
        n.train()
        out.append(all(mod.training for mod in n.modules()))
        seen = []
        n.apply(lambda mod: seen.append(type(mod).__name__))
        out.append(seen)
        n.requires_grad_(False)
        out.append([p.requires_grad for p in n.parameters()])
        n.requires_grad_()
        n(m.tensor(X)).sum().backward()
        n.zero_grad(set_to_none=False)
        out.append([float(p.grad.abs().sum()) for p in n.parameters()])
        n.zero_grad()
        out.append([p.grad is None for p in n.parameters()])
        with pytest.raises(ValueError) as info:
            n.train("yes")
        out.append(str(info.value))
        return out

    e, t = both(f)
    assert e == t


def test_to_dtype_keeps_parameter_objects():
    def f(m, Lin, Act, Net):
        n = Net()
        n(m.tensor(X)).sum().backward()
        w = n.fc1.weight
        buf = n.fc1.count
        n.double()
        out = [w is n.fc1.weight, str(w.dtype), str(w.grad.dtype), str(n.fc1.count.dtype),
               str(n.steps.dtype), buf is n.fc1.count]
        n.to(m.float32)
        out.append(str(w.dtype))
        n.to(m.zeros(1, dtype=m.float64))
        out.append(str(w.dtype))
        n.half().float()
        n.bfloat16()
        out.append(str(n.fc2.bias.dtype))
        n.to("cpu", m.float32)
        n.to(device="cpu")
        n.cpu().float()
        out.append((str(w.dtype), str(w.device)))
        with pytest.raises(TypeError) as info:
            n.to(m.int32)
        out.append(norm(info.value))
        return [norm(o) for o in out]

    e, t = both(f)
    assert e == t


def test_to_empty_and_share_memory():
    def f(m, Lin, Act, Net):
        n = Net()
        w = n.fc1.weight
        n.to_empty(device="cpu")
        n.share_memory()
        return w is n.fc1.weight, tuple(w.shape), w.requires_grad

    e, t = both(f)
    assert e == t


def test_pickle_and_deepcopy():
    n = _ENet()
    n.fc1.weight.grad = ember.ones(4, 3)
    for clone in (pickle.loads(pickle.dumps(n)), copy.deepcopy(n)):
        assert clone.shared is clone.fc1
        assert type(clone.fc1.weight) is ember.nn.Parameter
        assert clone.fc1.weight is not n.fc1.weight
        assert list(clone.state_dict()) == list(n.state_dict())
        for a, b in zip(clone.state_dict().values(), n.state_dict().values()):
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
        y = clone(ember.tensor(X))
        assert_close(y, models(torch)[2]()(torch.tensor(X)), rtol=1e-5)
        assert clone.fc1.scratch.shape == (2,)
        assert "scratch" in clone.fc1._non_persistent_buffers_set


def test_global_hooks():
    from ember.nn.modules import module as em
    tm = torch.nn.modules.module

    def f(m, Lin, Act, Net):
        mod = em if m is ember else tm
        calls = []
        hs = [mod.register_module_forward_pre_hook(lambda mo, a: calls.append("gpre")),
              mod.register_module_forward_hook(lambda mo, a, o: calls.append(
                  ("gpost", type(mo).__name__))),
              mod.register_module_buffer_registration_hook(
                  lambda mo, name, t: calls.append(("buf", name)))]
        n = Net()
        n.fc1.register_forward_hook(lambda mo, a, o: calls.append("local"))
        n(m.tensor(X))
        for h in hs:
            h.remove()
        n(m.tensor(X))
        return calls

    e, t = both(f)
    assert e == t


def test_call_without_forward_and_compile_noop():
    def f(m, Lin, Act, Net):
        with pytest.raises(NotImplementedError) as info:
            m.nn.Module()(1)
        return str(info.value)

    e, t = both(f)
    assert e == t


def test_state_dict_ordered_destination():
    n = models(ember)[2]()
    dest = OrderedDict()
    out = n.state_dict(destination=dest, prefix="m.")
    assert out is dest and list(dest)[0] == "m.steps"


def test_full_backward_hook_tuple_io_and_non_tensor_args():
    def f(m, Lin, Act, Net):
        seen = []

        class Two(m.nn.Module):
            def forward(self, a, b, scale):
                return a * b * scale, a + 1

        mod = Two()
        mod.register_full_backward_hook(lambda mo, gin, gout: seen.append(
            ([None if g is None else to_numpy(g).tolist() for g in gin],
             [None if g is None else to_numpy(g).tolist() for g in gout])))
        a = m.tensor([1.0, 2.0], requires_grad=True)
        b = m.tensor([3.0, 4.0])
        y1, y2 = mod(a, b, 2.0)
        (y1.sum() + 3 * y2.sum()).backward()
        return seen, to_numpy(a.grad).tolist()

    e, t = both(f)
    assert e == t


def test_deprecated_non_full_backward_hook_sees_reduced_grads():
    def f(m, Lin, Act, Net):
        seen = []
        lin = Lin(W1, B1)
        lin.register_backward_hook(lambda mo, gi, go: seen.append(
            ([None if g is None else (tuple(g.shape), round(float(g.sum()), 4)) for g in gi],
             [tuple(g.shape) for g in go])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lin(m.tensor(X, requires_grad=True)).sum().backward()
        return seen

    e, t = both(f)
    assert e == t
