"""Optimizers against torch: 20-step trajectories from the same weights and gradients for every
optimizer and option, state_dict format and cross-loading, the Optimizer base contract."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import ember
import ember.optim as eoptim

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (5,), (), (3, 2)]   # the last one is given as a transposed (strided) leaf
STEPS = 20
TOL = {"float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12), "complex64": (2e-5, 2e-6),
       "float16": (2e-2, 2e-2), "bfloat16": (5e-2, 5e-2)}


def _arrays(dtype: str, seed: int = 0) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    np_dt = {"float16": np.float32, "bfloat16": np.float32}.get(dtype, dtype)

    def draw(shape: tuple) -> np.ndarray:
        a = rng.standard_normal(shape)
        if dtype.startswith("complex"):
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(np_dt)

    params = [draw(s) for s in SHAPES]
    grads = [[draw(s) for s in SHAPES] for _ in range(STEPS)]
    for k in range(0, STEPS, 7):  # some steps leave a parameter without a gradient
        grads[k][1] = None
    return params, grads


def _leaf(m, a: np.ndarray, dtype: str, transposed: bool):
    t = m.tensor(a.T.copy() if transposed else a)
    if dtype in ("float16", "bfloat16"):
        t = t.to(getattr(m, dtype))
    if transposed:
        t = t.t()
        assert not t.is_contiguous()
    return t.detach().requires_grad_(True)


def _grad(m, a: np.ndarray, like):
    return m.tensor(a).to(like.dtype)


def _np(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    return np.asarray(t.detach().float() if t.dtype == ember.bfloat16 else t.detach())


def _close(e, t, dtype: str, what: str) -> None:
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol, err_msg=what)


def _pair(name: str, kw: dict, dtype: str = "float32", groups: bool = False):
    p0, grads = _arrays(dtype)
    # torch's fused CPU kernel walks a transposed parameter and its contiguous gradient in
    # memory order (a torch bug: it disagrees with torch's own for-loop path), so no strided
    # leaf there
    strided = not kw.get("fused")
    tp = [_leaf(torch, a, dtype, strided and i == 3) for i, a in enumerate(p0)]
    ep = [_leaf(ember, a, dtype, strided and i == 3) for i, a in enumerate(p0)]

    def build(m, ps):
        cls = getattr(m.optim, name)
        if groups:
            return cls([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.05}], **kw)
        return cls(ps, **kw)

    return build(torch, tp), build(ember, ep), tp, ep, grads


def _run(topt, eopt, tp, ep, grads, dtype: str, steps: range) -> None:
    for k in steps:
        for t, e, g in zip(tp, ep, grads[k]):
            t.grad = None if g is None else _grad(torch, g, t)
            e.grad = None if g is None else _grad(ember, g, e)
        topt.step()
        eopt.step()
        for i, (t, e) in enumerate(zip(tp, ep)):
            _close(e, t, dtype, f"param {i} after step {k + 1}")


def _compare_state(eopt, topt, dtype: str) -> None:
    es, ts = eopt.state_dict(), topt.state_dict()
    assert set(es) == {"state", "param_groups"}
    assert es["param_groups"] == ts["param_groups"]
    assert list(es["state"]) == list(ts["state"])
    for k in ts["state"]:
        assert list(es["state"][k]) == list(ts["state"][k])
        for key, tv in ts["state"][k].items():
            ev = es["state"][k][key]
            assert isinstance(ev, ember.Tensor)
            assert str(ev.dtype).split(".")[1] == str(tv.dtype).split(".")[1], key
            assert ev.shape == tuple(tv.shape), key
            _close(ev, tv, dtype, f"state {k}.{key}")


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True, "foreach": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adam", {"lr": 0.01, "maximize": True, "amsgrad": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.01, "betas": (0.3, 0.6), "eps": 1e-3}),  # lerp's large-weight formula
    ("Adam", {"lr": 0.01, "foreach": False, "capturable": False}),
    ("Adam", {"lr": 0.01, "foreach": True}),     # torch's multi-tensor path: same math
    ("AdamW", {"lr": 0.01, "fused": True}),      # torch's fused CPU kernel: same math
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "maximize": True, "weight_decay": 0}),
    ("RMSprop", {}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"momentum": 0.9, "lr": 0.001}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1, "alpha": 0.3}),
    ("RMSprop", {"maximize": True, "eps": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.1}),
    ("Adagrad", {"initial_accumulator_value": 0.5, "weight_decay": 0.1}),
    ("Adagrad", {"maximize": True, "eps": 1e-5, "lr": 0.1}),
]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_trajectory_float32(name: str, kw: dict) -> None:
    topt, eopt, tp, ep, grads = _pair(name, kw)
    _run(topt, eopt, tp, ep, grads, "float32", range(STEPS))
    _compare_state(eopt, topt, "float32")


@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr_decay": 0.05}),
])
def test_trajectory_float64_two_groups(name: str, kw: dict) -> None:
    topt, eopt, tp, ep, grads = _pair(name, kw, "float64", groups=True)
    _run(topt, eopt, tp, ep, grads, "float64", range(STEPS))
    _compare_state(eopt, topt, "float64")


@pytest.mark.parametrize("name,kw", [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {"weight_decay": 0.1}),
])
def test_trajectory_complex(name: str, kw: dict) -> None:
    topt, eopt, tp, ep, grads = _pair(name, kw, "complex64")
    _run(topt, eopt, tp, ep, grads, "complex64", range(STEPS))
    _compare_state(eopt, topt, "complex64")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.05, "momentum": 0.9}),
                                     ("AdamW", {"lr": 0.01})])
def test_trajectory_low_precision(name: str, kw: dict, dtype: str) -> None:
    topt, eopt, tp, ep, grads = _pair(name, kw, dtype)
    _run(topt, eopt, tp, ep, grads, dtype, range(STEPS))
    for t, e in zip(tp, ep):
        assert str(e.dtype) == "ember." + dtype and str(t.dtype) == "torch." + dtype


def test_tensor_lr_and_betas() -> None:
    p0, grads = _arrays("float32")
    tp = [torch.tensor(a, requires_grad=True) for a in p0]
    ep = [ember.tensor(a, requires_grad=True) for a in p0]
    topt = torch.optim.Adam(tp, lr=torch.tensor(0.01), betas=(torch.tensor(0.8),
                                                              torch.tensor(0.9)))
    eopt = eoptim.Adam(ep, lr=ember.tensor(0.01), betas=(ember.tensor(0.8), ember.tensor(0.9)))
    _run(topt, eopt, tp, ep, grads, "float32", range(STEPS))


def test_version_counter_and_in_place() -> None:
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    data_before = p.data
    v0 = p._version
    opt = eoptim.AdamW([p], lr=0.1)
    p.grad = ember.tensor([0.5, -0.5])
    opt.step()
    assert p._version > v0
    np.testing.assert_array_equal(data_before.numpy(), p.detach().numpy())  # same storage
    assert not p.requires_grad or p.is_leaf
    assert p.grad_fn is None


def test_nn_parameters() -> None:
    import ember.nn  # noqa: F401 - ember.nn.Parameter below
    rng = np.random.default_rng(3)
    w0, x, y = (rng.standard_normal(s).astype(np.float32) for s in [(2, 3), (8, 3), (8, 2)])
    results = []
    for m in (torch, ember):
        w = m.nn.Parameter(m.tensor(w0))
        b = m.nn.Parameter(m.zeros(2))
        opt = m.optim.AdamW([w, b], lr=0.05, weight_decay=0.1)
        for _ in range(STEPS):
            opt.zero_grad()
            loss = ((m.tensor(x) @ w.t() + b - m.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
        assert isinstance(w, m.nn.Parameter) and w.is_leaf
        results.append((_np(w), _np(b)))
    for e, t in zip(results[1], results[0]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- state dicts
def _to(m, value):
    """A state_dict with every tensor rebuilt in framework m."""
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        return m.tensor(_np(value))
    if isinstance(value, dict):
        return {k: _to(m, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to(m, v) for v in value]
    return value


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.05, "momentum": 0.9}),
                                     ("Adam", {"lr": 0.01, "amsgrad": True}),
                                     ("AdamW", {}), ("RMSprop", {"centered": True,
                                                                 "momentum": 0.3}),
                                     ("Adagrad", {"lr_decay": 0.01})])
def test_state_dict_round_trip_and_cross_loading(name: str, kw: dict) -> None:
    topt, eopt, tp, ep, grads = _pair(name, kw, groups=True)
    _run(topt, eopt, tp, ep, grads, "float32", range(8))
    # ember -> fresh ember optimizer over copies of the parameters
    ep2 = [e.detach().clone().requires_grad_(True) for e in ep]
    eopt2 = getattr(eoptim, name)([{"params": ep2[:2]}, {"params": ep2[2:], "lr": 0.05}], **kw)
    eopt2.load_state_dict(copy.deepcopy(eopt.state_dict()))
    # ember state -> torch, torch state -> ember
    tp3 = [t.detach().clone().requires_grad_(True) for t in tp]
    topt3 = getattr(torch.optim, name)([{"params": tp3[:2]}, {"params": tp3[2:], "lr": 0.05}],
                                       **kw)
    topt3.load_state_dict(_to(torch, eopt.state_dict()))
    ep3 = [e.detach().clone().requires_grad_(True) for e in ep]
    eopt3 = getattr(eoptim, name)([{"params": ep3[:2]}, {"params": ep3[2:], "lr": 0.05}], **kw)
    eopt3.load_state_dict(_to(ember, topt.state_dict()))
    _compare_state(eopt3, topt3, "float32")
    _compare_state(eopt2, topt, "float32")
    _run(topt, eopt2, tp, ep2, grads, "float32", range(8, STEPS))     # ember reloaded
    _run(topt3, eopt3, tp3, ep3, grads, "float32", range(8, STEPS))   # both cross-loaded


def test_load_state_dict_casts_and_aliases_like_torch() -> None:
    results = []
    for m in (torch, ember):
        p = m.zeros(3, dtype=m.float32, requires_grad=True)
        opt = m.optim.Adam([p])
        sd = {"state": {0: {"step": m.tensor(4.0), "exp_avg": m.ones(3, dtype=m.float64),
                            "exp_avg_sq": m.ones(3, dtype=m.float32)}},
              "param_groups": [dict(opt.state_dict()["param_groups"][0], lr=0.5)]}
        opt.load_state_dict(sd)
        st = opt.state[p]
        results.append((st["exp_avg"].dtype == m.float32, st["step"].dtype == m.float32,
                        st["exp_avg_sq"] is sd["state"][0]["exp_avg_sq"],
                        st["step"] is sd["state"][0]["step"], opt.param_groups[0]["lr"],
                        opt.param_groups[0]["params"][0] is p))
    assert results[0] == results[1] == (True, True, True, True, 0.5, True)


def test_load_state_dict_errors() -> None:
    for m in (torch, ember):
        a, b = m.zeros(2, requires_grad=True), m.zeros(2, requires_grad=True)
        sd = m.optim.SGD([a, b], lr=0.1).state_dict()
        with pytest.raises(ValueError, match="different number of parameter groups"):
            m.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
        with pytest.raises(ValueError, match="doesn't match the size"):
            m.optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_state_dict_layout_matches_torch() -> None:
    for name, kw in CASES[:1] + CASES[6:7] + CASES[16:17] + CASES[21:22]:
        topt, eopt, tp, ep, grads = _pair(name, kw, groups=True)
        _run(topt, eopt, tp, ep, grads, "float32", range(3))
        es, ts = eopt.state_dict(), topt.state_dict()
        assert [list(g) for g in es["param_groups"]] == [list(g) for g in ts["param_groups"]]
        assert es["param_groups"] == ts["param_groups"]
        assert {k: list(v) for k, v in es["state"].items()} == \
            {k: list(v) for k, v in ts["state"].items()}
        step = es["state"].get(0, {}).get("step")
        if name != "SGD":
            assert step.dtype == ember.float32 and step.dim() == 0 and step.item() == 3.0


def test_param_names_in_state_dict() -> None:
    out = []
    for m in (torch, ember):
        a, b = m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)
        opt = m.optim.SGD([("a", a), ("b", b)], lr=0.1)
        out.append(opt.state_dict()["param_groups"])
        with pytest.raises(ValueError, match="with/without names"):
            opt.add_param_group({"params": [m.zeros(1, requires_grad=True)]})
    assert out[0] == out[1]


# --------------------------------------------------------------------------- base contract
def test_param_groups_defaults_and_repr() -> None:
    for name, kw in [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"amsgrad": True}),
                     ("AdamW", {}), ("RMSprop", {"centered": True}), ("Adagrad", {})]:
        tps = [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)]
        eps = [ember.zeros(2, requires_grad=True), ember.zeros(1, requires_grad=True)]
        topt = getattr(torch.optim, name)([{"params": tps[:1]}, {"params": tps[1:], "lr": 0.3}],
                                          **kw)
        eopt = getattr(eoptim, name)([{"params": eps[:1]}, {"params": eps[1:], "lr": 0.3}], **kw)
        assert repr(eopt) == repr(topt)
        assert eopt.defaults == topt.defaults
        for eg, tg in zip(eopt.param_groups, topt.param_groups):
            assert list(eg) == list(tg)
            assert {k: v for k, v in eg.items() if k != "params"} == \
                {k: v for k, v in tg.items() if k != "params"}
        assert eopt.param_groups[0]["params"][0] is eps[0]


def test_add_param_group_errors() -> None:
    for m in (torch, ember):
        a, b = m.zeros(2, requires_grad=True), m.zeros(2, requires_grad=True)
        opt = m.optim.SGD([a], lr=0.1)
        with pytest.raises(ValueError, match="more than one parameter group"):
            opt.add_param_group({"params": [a]})
        with pytest.raises(TypeError, match="ordered collections"):
            opt.add_param_group({"params": {b}})
        with pytest.raises(TypeError, match="can only optimize Tensors"):
            opt.add_param_group({"params": [1.0]})
        with pytest.raises(ValueError, match="non-leaf"):
            opt.add_param_group({"params": [b * 2]})
        with pytest.raises(TypeError, match="must be a dict"):
            opt.add_param_group([b])
        with pytest.warns(UserWarning, match="duplicate parameters"):
            m.optim.SGD([b, b], lr=0.1)
        with pytest.raises(ValueError, match="empty parameter list"):
            m.optim.SGD([], lr=0.1)
        with pytest.raises(TypeError, match="iterable of Tensors"):
            m.optim.SGD(a, lr=0.1)
        opt.add_param_group({"params": b, "lr": 0.5})
        assert opt.param_groups[1]["momentum"] == 0 and opt.param_groups[1]["lr"] == 0.5


def test_required_parameter() -> None:
    from ember.optim.optimizer import required

    class Plain(eoptim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": required, "k": 1})

        def step(self, closure=None):
            return "stepped"

    p = ember.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        Plain([p])
    opt = Plain([{"params": [p], "lr": 0.1}])
    assert opt.param_groups[0]["k"] == 1 and repr(required) == "<required parameter>"
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    assert opt.step() == "stepped" and calls == ["post"]


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none: bool) -> None:
    p = ember.ones(3, requires_grad=True)
    q = ember.ones(2, requires_grad=True)
    opt = eoptim.SGD([p, q], lr=0.1)
    (p * 2).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=set_to_none)
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad is g and g.tolist() == [0.0, 0.0, 0.0]
    assert q.grad is None


def test_step_closure_and_grad_mode() -> None:
    p = ember.tensor([1.0, -2.0], requires_grad=True)
    opt = eoptim.SGD([p], lr=0.1)
    seen = []

    def closure():
        seen.append(ember.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert seen == [True] and loss.item() == 5.0
    assert p.tolist() == pytest.approx([0.8, -1.6])
    opt.register_step_pre_hook(lambda o, a, k: seen.append(ember.is_grad_enabled()))
    opt.step(closure)
    assert seen[-1] is True and ember.is_grad_enabled()


def test_step_hooks() -> None:
    from ember.optim.optimizer import (
        register_optimizer_step_post_hook,
        register_optimizer_step_pre_hook,
    )

    p = ember.tensor([1.0], requires_grad=True)
    p.grad = ember.tensor([1.0])
    opt = eoptim.SGD([p], lr=0.5)
    log = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", o is opt, a, k)))
    h2 = opt.register_step_post_hook(lambda o, a, k: log.append(("post", len(a))))
    g1 = register_optimizer_step_pre_hook(lambda o, a, k: log.append("gpre"))
    g2 = register_optimizer_step_post_hook(lambda o, a, k: log.append("gpost"))
    try:
        opt.step()
    finally:
        g1.remove()
        g2.remove()
    assert log == ["gpre", ("pre", True, (opt,), {}), ("post", 1), "gpost"]
    h1.remove()
    h2.remove()
    log.clear()
    opt.step()
    assert log == [] and p.item() == pytest.approx(0.0)

    def swap_closure(o, args, kwargs):
        return (args, {"closure": lambda: 42})

    opt.register_step_pre_hook(swap_closure)
    assert opt.step() == 42
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.register_step_pre_hook(lambda o, a, k: 5)
        opt.step()


def test_state_dict_hooks() -> None:
    p = ember.zeros(2, requires_grad=True)
    opt = eoptim.SGD([p], lr=0.1)
    log = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1))
    sd = opt.state_dict()
    assert log == ["pre"] and sd["extra"] == 1
    opt.register_load_state_dict_pre_hook(lambda o, sd: log.append("lpre"))
    opt.register_load_state_dict_post_hook(lambda o: log.append("lpost"), prepend=True)
    opt.load_state_dict(sd)
    assert log == ["pre", "lpre", "lpost"]


def test_state_is_defaultdict_keyed_by_param() -> None:
    p = ember.zeros(2, requires_grad=True)
    p.grad = ember.ones(2)
    opt = eoptim.Adam([p])
    assert len(opt.state) == 0
    opt.step()
    assert list(opt.state) == [p] and list(opt.state[p]) == ["step", "exp_avg", "exp_avg_sq"]
    assert opt.state[ember.zeros(1)] == {}
    adagrad = eoptim.Adagrad([p], initial_accumulator_value=0.25)
    assert adagrad.state[p]["sum"].tolist() == [0.25, 0.25]  # created at construction


# --------------------------------------------------------------------------- invalid arguments
BAD = [
    ("SGD", {"lr": -1.0}, ValueError), ("SGD", {"momentum": -0.5}, ValueError),
    ("SGD", {"weight_decay": -1e-3}, ValueError), ("SGD", {"nesterov": True}, ValueError),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, ValueError),
    ("SGD", {"fused": True, "foreach": True}, RuntimeError),
    ("Adam", {"lr": -1e-3}, ValueError), ("Adam", {"eps": -1.0}, ValueError),
    ("Adam", {"betas": (1.0, 0.9)}, ValueError), ("Adam", {"betas": (0.9, -0.1)}, ValueError),
    ("Adam", {"betas": (0, 0.9)}, ValueError), ("Adam", {"weight_decay": -1.0}, ValueError),
    ("Adam", {"fused": True, "foreach": True}, RuntimeError),
    ("AdamW", {"lr": -1.0}, ValueError), ("AdamW", {"betas": (0.9, 1.5)}, ValueError),
    ("RMSprop", {"lr": -1.0}, ValueError), ("RMSprop", {"alpha": -1.0}, ValueError),
    ("RMSprop", {"eps": -1.0}, ValueError), ("RMSprop", {"momentum": -1.0}, ValueError),
    ("RMSprop", {"weight_decay": -1.0}, ValueError),
    ("Adagrad", {"lr": -1.0}, ValueError), ("Adagrad", {"lr_decay": -1.0}, ValueError),
    ("Adagrad", {"initial_accumulator_value": -1.0}, ValueError),
    ("Adagrad", {"eps": -1.0}, ValueError), ("Adagrad", {"weight_decay": -1.0}, ValueError),
]


@pytest.mark.parametrize("name,kw,exc", BAD, ids=[f"{n}-{kw}" for n, kw, _ in BAD])
def test_invalid_arguments(name: str, kw: dict, exc: type) -> None:
    messages = []
    for m in (torch, ember):
        with pytest.raises(exc) as info:
            getattr(m.optim, name)([m.zeros(2, requires_grad=True)], **kw)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_tensor_lr_must_have_one_element() -> None:
    for m in (torch, ember):
        with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
            m.optim.SGD([m.zeros(2, requires_grad=True)], lr=m.tensor([0.1, 0.2]))


def test_differentiable_not_supported() -> None:
    with pytest.raises(NotImplementedError, match="differentiable"):
        eoptim.Adam([ember.zeros(2, requires_grad=True)], differentiable=True)


def test_no_warnings_on_zero_denominator() -> None:
    p = ember.zeros(2, requires_grad=True)
    p.grad = ember.zeros(2)
    opt = eoptim.Adagrad([p], eps=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert np.isnan(p.detach().numpy()).all()  # 0/0, as torch gives


def test_pickle_and_deepcopy_keep_state_and_groups() -> None:
    import pickle

    p = ember.tensor([1.0, 2.0], requires_grad=True)
    p.grad = ember.tensor([0.5, 0.25])
    opt = eoptim.AdamW([p], lr=0.1)
    eoptim.lr_scheduler.StepLR(opt, step_size=1)  # wraps opt.step on the instance
    opt.step()
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        q = clone.param_groups[0]["params"][0]
        assert q is not p and q.tolist() == p.tolist()
        assert clone.state[q]["exp_avg"].tolist() == opt.state[p]["exp_avg"].tolist()
        assert clone.state[q]["step"].item() == 1.0 and clone.param_groups[0]["lr"] == 0.1
        q.grad = ember.tensor([0.5, 0.25])
        clone.step()
        assert clone.state[q]["step"].item() == 2.0 and opt.state[p]["step"].item() == 1.0
