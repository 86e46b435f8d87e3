"""LR schedulers against torch: every scheduler's lr (and momentum) sequence over 30-50 steps,
equal to the last bit; state_dict contents and round trips; warnings and errors."""

from __future__ import annotations

import copy
import math
import warnings

import pytest

import ember
import ember.optim as eoptim

torch = pytest.importorskip("torch")


def _opt(m, kind: str = "sgd", lr=0.1):
    a, b = m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.02}]
    if kind == "adam":
        return m.optim.Adam(groups, lr=lr)
    return m.optim.SGD(groups, lr=lr, momentum=0.9)


def _record(m, make, steps: int, kind: str = "sgd", metrics=None, lr=0.1) -> list:
    opt = _opt(m, kind, lr(m) if callable(lr) else lr)
    sched = make(m.optim.lr_scheduler, opt)
    out = [(sched.get_last_lr(), [g["lr"] for g in opt.param_groups])]
    for k in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
                    [g.get("momentum") for g in opt.param_groups],
                    [g.get("betas") for g in opt.param_groups]))
    return out


def _plain(x):
    """Tensors as Python numbers, so that records of both frameworks compare with ==."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return x.item()
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


SCHEDULERS = {
    "StepLR": lambda L, o: L.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[5, 10, 10, 25], gamma=0.3),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-0": lambda L, o: L.CosineAnnealingLR(o, T_max=17),
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR-list": lambda L, o: L.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: e % 3]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.0),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.25, total_iters=8),
    "LinearLR-down": lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                             total_iters=13),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=6),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=20, power=2.0),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=40),
    "OneCycleLR-linear-3": lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=45,
                                                     anneal_strategy="linear",
                                                     three_phase=True),
    "OneCycleLR-epochs": lambda L, o: L.OneCycleLR(o, max_lr=0.3, epochs=5, steps_per_epoch=8,
                                                   pct_start=0.25, cycle_momentum=False,
                                                   div_factor=10.0, final_div_factor=100.0),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=10), L.CosineAnnealingLR(o, T_max=20)],
        milestones=[10]),
    "SequentialLR-3": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.3, total_iters=4), L.ExponentialLR(o, gamma=0.8),
            L.StepLR(o, step_size=3)], milestones=[6, 20]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler([L.ExponentialLR(o, gamma=0.95),
                                                         L.StepLR(o, step_size=5, gamma=0.5)]),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=0.001),
    "CyclicLR": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4,
                                        mode="triangular2"),
    "CyclicLR-exp": lambda L, o: L.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.2, step_size_up=3,
                                            step_size_down=5, mode="exp_range", gamma=0.97),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence_matches_torch(name: str) -> None:
    steps = 40 if name.startswith("OneCycle") else 50
    if name == "OneCycleLR-linear-3":
        steps = 44
    t = _record(torch, SCHEDULERS[name], steps)
    e = _record(ember, SCHEDULERS[name], steps)
    assert len(e) == steps + 1
    assert e == t


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_cycles_adam_beta1(name: str) -> None:
    t = _record(torch, SCHEDULERS[name], 40, kind="adam")
    e = _record(ember, SCHEDULERS[name], 40, kind="adam")
    assert e == t
    assert len({r[3][0][0] for r in e[1:]}) > 5   # beta1 really moves


PLATEAU = {
    "min-rel": ({}, [1.0, 0.9, 0.9, 0.9, 0.95, 0.9, 0.89, 0.89, 0.89, 0.88] * 4),
    "max-abs": ({"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 2},
                [0.1, 0.2, 0.22, 0.24, 0.26, 0.5, 0.5, 0.52, 0.53, 0.5] * 4),
    "cooldown": ({"patience": 1, "cooldown": 3, "factor": 0.5, "min_lr": [0.01, 0.004]},
                 [1.0] * 40),
    "eps": ({"patience": 0, "factor": 0.5, "eps": 0.02}, [1.0] * 40),
    "min-abs": ({"threshold_mode": "abs", "threshold": 0.1, "patience": 3, "min_lr": 0.001},
                [5 - 0.02 * k for k in range(40)]),
}


@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_lr_on_plateau(name: str) -> None:
    kw, metrics = PLATEAU[name]
    make = lambda L, o: L.ReduceLROnPlateau(o, **kw)
    t = _record(torch, make, 40, metrics=metrics)
    e = _record(ember, make, 40, metrics=[ember.tensor(v) for v in metrics])
    assert e == t
    assert e[-1][1] != e[0][1]


def test_tensor_lr_is_filled_in_place() -> None:
    make = SCHEDULERS["StepLR"]
    t = _record(torch, make, 30, lr=lambda m: m.tensor(0.1))
    e = _record(ember, make, 30, lr=lambda m: m.tensor(0.1))
    assert _plain(e) == _plain(t)
    opt = _opt(ember, lr=ember.tensor(0.1))
    lr_tensor = opt.param_groups[0]["lr"]
    sched = eoptim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr_tensor and lr_tensor.item() == pytest.approx(0.05)
    assert sched.get_last_lr()[0] is not lr_tensor


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "LinearLR", "ConstantLR", "PolynomialLR",
                                  "CosineAnnealingWarmRestarts", "LambdaLR"])
def test_step_with_epoch_uses_closed_form(name: str) -> None:
    records = []
    for m in (torch, ember):
        opt = _opt(m)
        sched = SCHEDULERS[name](m.optim.lr_scheduler, opt)
        seq = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in [3, 7, 1, 12, 30, 0, 25]:
                opt.step()
                sched.step(epoch)
                seq.append(sched.get_last_lr())
        assert any("epoch parameter" in str(w.message) for w in caught) or \
            name == "CosineAnnealingWarmRestarts"
        records.append(seq)
    assert records[0] == records[1]


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "SequentialLR",
                                  "CyclicLR", "LambdaLR", "CosineAnnealingWarmRestarts"])
def test_state_dict_matches_torch_and_round_trips(name: str) -> None:
    dicts = []
    for m in (torch, ember):
        opt = _opt(m)
        sched = SCHEDULERS[name](m.optim.lr_scheduler, opt)
        for _ in range(7):
            opt.step()
            sched.step()
        dicts.append(sched.state_dict())
    ts, es = dicts
    assert list(es) == list(ts)
    if name == "SequentialLR":
        for e_inner, t_inner in zip(es["_schedulers"], ts["_schedulers"]):
            assert e_inner == t_inner
    else:
        assert es == ts
    # resume: a fresh scheduler loading the state continues the same sequence
    seqs = []
    for saved in (es, copy.deepcopy(es)):
        opt = _opt(ember)
        sched = SCHEDULERS[name](eoptim.lr_scheduler, opt)
        sched.load_state_dict(copy.deepcopy(saved))
        for g, lr in zip(opt.param_groups, saved.get("_last_lr", [])):
            g["lr"] = lr
        seq = []
        for _ in range(10):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        seqs.append(seq)
    assert seqs[0] == seqs[1]


def test_reduce_lr_on_plateau_state_dict() -> None:
    dicts = []
    for m in (torch, ember):
        opt = _opt(m)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=2)
        for v in [1.0, 0.5, 0.5, 0.5, 0.4]:
            sched.step(v)
        dicts.append(sched.state_dict())
    assert dicts[0] == dicts[1]
    opt = _opt(ember)
    sched = eoptim.lr_scheduler.ReduceLROnPlateau(opt)
    sched.load_state_dict(dicts[1])
    assert sched.mode == "max" and sched.mode_worse == -math.inf and sched.num_bad_epochs == 1
    assert sched.get_last_lr() == pytest.approx([0.01, 0.002]) and sched.best == 1.0


def test_lambda_state_dict_keeps_callable_objects_only() -> None:
    class Decay:
        def __init__(self) -> None:
            self.rate = 0.5

        def __call__(self, epoch: int) -> float:
            return self.rate**epoch

    out = []
    for m in (torch, ember):
        opt = _opt(m)
        sched = m.optim.lr_scheduler.LambdaLR(opt, [Decay(), lambda e: 1.0])
        out.append(sched.state_dict()["lr_lambdas"])
    assert out[0] == out[1] == [{"rate": 0.5}, None]


def test_initial_step_and_base_lrs() -> None:
    opt = _opt(ember)
    sched = eoptim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert sched.last_epoch == 0 and sched._step_count == 1
    assert sched.base_lrs == [0.1, 0.02]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
    assert hasattr(opt.step, "_wrapped_by_lr_sched")


def test_warnings_like_torch() -> None:
    for m in (torch, ember):
        opt = _opt(m)
        sched = m.optim.lr_scheduler.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()
        opt2 = _opt(m)
        sched2 = m.optim.lr_scheduler.StepLR(opt2, step_size=2)
        opt2.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sched2.step()


BAD = [
    (lambda L, o: L.StepLR("not an optimizer", 3), TypeError),
    (lambda L, o: L.ConstantLR(o, factor=1.5), ValueError),
    (lambda L, o: L.LinearLR(o, start_factor=0), ValueError),
    (lambda L, o: L.LinearLR(o, end_factor=1.5), ValueError),
    (lambda L, o: L.StepLR(o, 3, last_epoch=5), KeyError),
    (lambda L, o: L.OneCycleLR(o, max_lr=0.1), ValueError),
    (lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=0), ValueError),
    (lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError),
    (lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="x"), ValueError),
    (lambda L, o: L.OneCycleLR(o, max_lr=[0.1], total_steps=10), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(o, factor=1.0), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(o, mode="up"), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError),
    (lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2)], milestones=[3]), ValueError),
    (lambda L, o: L.SequentialLR(o, [], milestones=[]), ValueError),
    (lambda L, o: L.SequentialLR(o, [L.ReduceLROnPlateau(o), L.StepLR(o, 2)], [3]), ValueError),
    (lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=0), ValueError),
    (lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError),
    (lambda L, o: L.CyclicLR(o, 0.1, 1.0, mode="zigzag"), ValueError),
    (lambda L, o: L.LambdaLR(o, [lambda e: 1.0]), ValueError),
    (lambda L, o: L.MultiplicativeLR(o, [1.0, 2.0]), TypeError),
]


@pytest.mark.parametrize("make,exc", BAD, ids=range(len(BAD)))
def test_errors_like_torch(make, exc: type) -> None:
    messages = []
    for m in (torch, ember):
        with pytest.raises(exc) as info:
            make(m.optim.lr_scheduler, _opt(m))
        messages.append(str(info.value).replace("torch", "ember"))
    assert messages[0] == messages[1]


def test_one_cycle_past_total_steps_raises() -> None:
    for m in (torch, ember):
        opt = _opt(m)
        sched = m.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times"):
            sched.step()


def test_cycle_momentum_needs_momentum() -> None:
    for m in (torch, ember):
        opt = m.optim.Adagrad([m.zeros(1, requires_grad=True)])
        with pytest.raises(ValueError, match="must support momentum or beta1"):
            m.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
