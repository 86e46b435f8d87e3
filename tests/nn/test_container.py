"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict against torch."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import to_numpy, torch

X = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)


def norm(s: str) -> str:
    return str(s).replace("torch.", "ember.")


def layers(m):
    class Scale(m.nn.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k
            self.w = m.nn.Parameter(m.full((3,), float(k)))

        def forward(self, x):
            return x * self.w

        def extra_repr(self):
            return f"k={self.k}"

    class Block(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Scale(1)

    return Scale, Block


def both(fn):
    return fn(ember, *layers(ember)), fn(torch, *layers(torch))


def test_sequential_forward_indexing_and_mutation():
    def f(m, Scale, Block):
        s = m.nn.Sequential(Scale(1), Scale(2), Scale(3))
        out = [to_numpy(s(m.tensor(X))).tolist(), repr(s), len(s), type(s[0:2]).__name__,
               repr(s[::-1]), repr(s[-1])]
        s.append(Scale(4))
        s.insert(1, Scale(5))
        s.insert(-1, Scale(6))
        s.extend([Scale(7)])
        out.append(repr(s))
        popped = s.pop(0)
        out.append((popped.k, [k for k, _ in s.named_children()]))
        del s[1:3]
        out.append(repr(s))
        s[0] = Scale(9)
        out.append(repr(s))
        t = s + m.nn.Sequential(Scale(8))
        out.append(repr(t))
        s += m.nn.Sequential(Scale(10))
        out.append(repr(s))
        out.append(repr(m.nn.Sequential(Scale(1)) * 2))
        named = m.nn.Sequential(OrderedDict([("a", Scale(1)), ("b", Block())]))
        out.append(repr(named))
        out.append([k for k, _ in named.named_parameters()])
        out.append(list(named.state_dict()))
        out.append(repr(named[1:]))
        for fn in (lambda: s[10], lambda: s + 3, lambda: s.insert(20, Scale(1)),
                   lambda: s * 0, lambda: s * 1.5):
            with pytest.raises(Exception) as info:
                fn()
            out.append((type(info.value).__name__, norm(info.value)))
        out.append(repr(m.nn.Sequential()))
        return out

    e, t = both(f)
    assert e == t


def test_module_list():
    def f(m, Scale, Block):
        ml = m.nn.ModuleList([Scale(1), Scale(1), Scale(1), Scale(2), Block(), Block()])
        out = [repr(ml), len(ml), [k for k, _ in ml.named_parameters()], repr(ml[1:3]),
               repr(ml[-1])]
        ml.append(Scale(3))
        ml.insert(0, Scale(4))
        ml.extend([Scale(5)])
        ml += [Scale(6)]
        out.append(repr(ml))
        del ml[0]
        out.append(ml.pop(-1).k)
        ml[0] = Scale(7)
        out.append(repr(ml + m.nn.ModuleList([Scale(8)])))
        out.append(repr(m.nn.ModuleList()))
        for fn in (lambda: ml[100], lambda: ml.extend(3)):
            with pytest.raises(Exception) as info:
                fn()
            out.append((type(info.value).__name__, str(info.value)))
        out.append([type(x).__name__ for x in ml])
        return out

    e, t = both(f)
    assert e == t


def test_module_dict():
    def f(m, Scale, Block):
        md = m.nn.ModuleDict({"b": Scale(1), "a": Scale(2)})
        md["c"] = Block()
        md.update([("d", Scale(3))])
        md.update(OrderedDict(e=Scale(4)))
        out = [repr(md), list(md.keys()), list(md), len(md), "a" in md,
               [type(v).__name__ for v in md.values()], [k for k, _ in md.items()],
               [k for k, _ in md.named_parameters()]]
        out.append(md.pop("a").k)
        del md["b"]
        out.append(list(md))
        for fn in (lambda: md.update(3), lambda: md.update([("x",)]),
                   lambda: md.update([3])):
            with pytest.raises(Exception) as info:
                fn()
            out.append((type(info.value).__name__, str(info.value)))
        md.clear()
        out.append(repr(md))
        return out

    e, t = both(f)
    assert e == t


def test_parameter_list():
    def f(m, Scale, Block):
        pl = m.nn.ParameterList([m.nn.Parameter(m.ones(2, 3)), m.zeros(4), "text"])
        pl.append(m.ones(1, dtype=m.float64))
        pl.extend([m.nn.Parameter(m.ones(2), requires_grad=False)])
        out = [norm(repr(pl)), len(pl), [type(p).__name__ for p in pl],
               [k for k, _ in pl.named_parameters()], norm(repr(pl[1:3])),
               [type(p).__name__ for p in pl[::2]]]
        pl[1] = m.full((2,), 3.0)
        out.append(type(pl[1]).__name__)
        for fn in (lambda: pl[10], lambda: pl.extend(m.ones(2)), lambda: pl(1)):
            with pytest.raises(Exception) as info:
                fn()
            out.append((type(info.value).__name__, str(info.value)))
        return out

    e, t = both(f)
    assert e == t


def test_parameter_dict():
    def f(m, Scale, Block):
        pd = m.nn.ParameterDict({"w": m.ones(2, 2), "a": m.nn.Parameter(m.zeros(3)),
                                 "s": "text"})
        pd["z"] = m.ones(1, dtype=m.float64)
        pd.update([("y", m.ones(4))])
        out = [norm(repr(pd)), list(pd), list(pd.keys()), len(pd), "w" in pd,
               [type(v).__name__ for v in pd.values()], [k for k, _ in pd.items()],
               [k for k, _ in pd.named_parameters()], list(reversed(pd))]
        out.append(type(pd.pop("a")).__name__)
        out.append(pd.get("nope", 5))
        out.append(type(pd.setdefault("n", m.ones(1))).__name__)
        out.append(pd.popitem()[0])
        both_ = pd | m.nn.ParameterDict({"q": m.ones(1)})
        out.append(list(both_))
        cp = pd.copy()
        out.append(list(cp))
        out.append(list(pd.fromkeys(["k1", "k2"], m.ones(1))))
        del pd["w"]
        out.append(list(pd))
        for fn in (lambda: pd[3], lambda: pd(1), lambda: pd.update(3)):
            with pytest.raises(Exception) as info:
                fn()
            out.append((type(info.value).__name__, str(info.value)))
        pd.clear()
        out.append((len(pd), repr(pd)))
        return out

    e, t = both(f)
    assert e == t


def test_containers_in_state_dict_and_optimizer_style_use():
    def f(m, Scale, Block):
        class Net(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.seq = m.nn.Sequential(Scale(1), Scale(2))
                self.blocks = m.nn.ModuleList([Block(), Block()])
                self.heads = m.nn.ModuleDict({"x": Scale(3)})
                self.pl = m.nn.ParameterList([m.ones(2)])
                self.pd = m.nn.ParameterDict({"p": m.ones(1)})

            def forward(self, x):
                x = self.seq(x)
                for b in self.blocks:
                    x = b.inner(x)
                return self.heads["x"](x).sum() + self.pl[0].sum() + self.pd["p"].sum()

        n = Net()
        y = n(m.tensor(X))
        y.backward()
        return (list(n.state_dict()), repr(n).count("\n"), float(y.detach()),
                [to_numpy(p.grad).round(4).tolist() for p in n.parameters()])

    e, t = both(f)
    assert e == t
