"""Shape-op behaviour the OpInfo rows cannot express: argument forms, warnings, views vs
copies, node names, double backward, in-place tril_/triu_ under autograd."""

import warnings

import numpy as np
import pytest

import ember
from tests.harness import gradcheck, raises_both, run_both, torch

rng = np.random.default_rng(0)


def f64(*shape):
    return rng.standard_normal(shape)


def test_broadcast_shapes():
    for shapes in [((2, 1), (3,), (4, 1, 1)), ((2,), 2), (3, (1,)), (), ((0, 1), (3,)),
                   ([1, 2], (3, 1)), ((5,),)]:
        run_both(lambda m, shapes=shapes: m.broadcast_shapes(*shapes))
    assert ember.broadcast_shapes((2, 1), (3,)) == ember.Size([2, 3])
    raises_both(lambda m: m.broadcast_shapes((2, 1), (3,), 4), match="Mismatching argument at "
                "index 2 had (4,)")
    raises_both(lambda m: m.broadcast_shapes((2,), (3,)))
    raises_both(lambda m: m.broadcast_shapes((2, -1)), match="negative length")


def test_broadcast_tensors_are_views_and_same_shape_inputs_pass_through():
    a, b = ember.zeros(2, 1), ember.zeros(3)
    x, y = ember.broadcast_tensors(a, b)
    assert x.untyped_storage().data_ptr() == a.untyped_storage().data_ptr()
    assert x.stride() == (1, 0) and y.stride() == (0, 1)
    c = ember.zeros(2, requires_grad=True)
    assert ember.broadcast_tensors(c, ember.zeros(2))[0] is c
    assert ember.broadcast_tensors() == ()


def test_meshgrid_warns_without_indexing_and_accepts_a_list():
    a, b = ember.arange(2), ember.arange(3)
    with pytest.warns(UserWarning, match="indexing argument"):
        ember.meshgrid(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.meshgrid(a, b, indexing="ij")
    run_both(lambda m: m.meshgrid([m.arange(2), m.arange(3)], indexing="xy"))
    run_both(lambda m: tuple(g.stride() for g in m.meshgrid(m.arange(2), m.arange(3),
                                                             indexing="xy")))


def test_atleast_nd_forms_and_views():
    x = ember.zeros(3)
    assert ember.atleast_1d(x) is x
    y = ember.atleast_3d(x)
    assert y.shape == (1, 3, 1) and y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    assert ember.atleast_1d() == ()
    run_both(lambda m, a, b: m.atleast_2d([a, b]), f64(3), f64())
    run_both(lambda m, a: m.atleast_2d((a,)), f64(3))
    for name, fn_name in (("atleast_1d", "ViewBackward0"), ("atleast_2d", "ViewBackward0"),
                          ("atleast_3d", "ViewBackward0")):
        for m in (ember, torch):
            r = getattr(m, name)(m.tensor(2.0, requires_grad=True))
            assert type(r.grad_fn).__name__ == fn_name


def test_repeat_argument_forms_and_errors():
    for sizes in [(2,), (2, 2), ([2, 2],), ((1, 2, 1),)]:
        run_both(lambda m, x, sizes=sizes: x.repeat(*sizes), f64(2))
    run_both(lambda m, x: x.repeat(m.Size([2, 3])), f64(3))
    raises_both(lambda m, x: x.repeat(), f64(2, 3))
    raises_both(lambda m, x: m.tile(x, 2), f64(2, 3), match="must be tuple of ints")


def test_flip_method_takes_varargs_function_needs_a_sequence():
    run_both(lambda m, x: x.flip(0, 1), f64(2, 3))
    run_both(lambda m, x: x.flip([1]), f64(2, 3))
    raises_both(lambda m, x: m.flip(x, 0), f64(2, 3), match="must be tuple of ints")
    raises_both(lambda m, x: m.flip(x, [1, -1]), f64(2, 3), match="appears multiple times")


def test_flip_roll_rot90_return_contiguous_copies():
    x = ember.arange(6.0).reshape(2, 3)
    for y in (ember.flip(x, [0, 1]), ember.roll(x, 1, 0), ember.rot90(x), ember.fliplr(x)):
        assert y.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
        assert all(s >= 0 for s in y.stride())


def test_cat_argument_types_and_out_promotion():
    raises_both(lambda m, x: m.cat(x), f64(2, 3), match="must be tuple of Tensors")
    raises_both(lambda m, x: m.cat([x, [1, 2]]), f64(2, 3), match="element 1")
    raises_both(lambda m: m.cat([]), match="non-empty list")

    def out_cast(m, a, b):
        o = m.empty(0, dtype=m.float64)
        assert m.cat((a.float(), b.long()), out=o) is o
        return o

    run_both(out_cast, f64(2), f64(3))
    run_both(lambda m, a, b: m.cat((a, b), dim=1), f64(2, 1), f64(2, 2))


def test_repeat_interleave_forms():
    run_both(lambda m: m.repeat_interleave(m.tensor([1, 0, 3])))
    run_both(lambda m: m.repeat_interleave(m.tensor([1, 2], dtype=m.int32)))
    run_both(lambda m, x: x.repeat_interleave(2, 1), f64(2, 3))
    run_both(lambda m, x: x.repeat_interleave(m.tensor([2, 0]), dim=0), f64(2, 3))
    run_both(lambda m, x: x.repeat_interleave(m.tensor(2)), f64(2, 3))
    raises_both(lambda m: m.repeat_interleave(m.tensor([[1, 2]])), match="1D vector")
    raises_both(lambda m: m.repeat_interleave(m.tensor([1, -1])), match="negative")
    raises_both(lambda m, x: x.repeat_interleave(m.tensor([1.0, 2.0]), dim=0), f64(2, 3))
    for m in (ember, torch):
        x = m.ones(2, 3, requires_grad=True)
        assert type(x.repeat_interleave(2, 1).grad_fn).__name__ == "ViewBackward0"
        assert type(x.repeat_interleave(m.tensor([1, 2]), 0).grad_fn).__name__ == \
            "IndexSelectBackward0"


@pytest.mark.parametrize("fn,name", [
    (lambda m, x: m.cat([x, x]), "CatBackward0"),
    (lambda m, x: m.hstack([x, x]), "CatBackward0"),
    (lambda m, x: m.column_stack([x, x]), "CatBackward0"),
    (lambda m, x: m.stack([x, x]), "StackBackward0"),
    (lambda m, x: m.tril(x), "TrilBackward0"),
    (lambda m, x: m.triu(x, 1), "TriuBackward0"),
    (lambda m, x: m.flip(x, [0]), "FlipBackward0"),
    (lambda m, x: m.fliplr(x), "FlipBackward0"),
    (lambda m, x: m.roll(x, 1), "RollBackward0"),
    (lambda m, x: m.roll(x, 1, 0), "RollBackward0"),
    (lambda m, x: m.rot90(x), "Rot90Backward0"),
    (lambda m, x: x.repeat(2, 1), "RepeatBackward0"),
    (lambda m, x: m.tile(x, (2,)), "RepeatBackward0"),
    (lambda m, x: m.block_diag(x, x), "BlockDiagBackward0"),
    (lambda m, x: m.broadcast_tensors(x, m.zeros(4, 1, 1))[0], "ExpandBackward0"),
    (lambda m, x: m.meshgrid(x[0], x[1], indexing="ij")[0], "ExpandBackward0"),
    (lambda m, x: m.cartesian_prod(x[0], x[1]), "StackBackward0"),
])
def test_backward_node_names(fn, name):
    for m in (ember, torch):
        x = m.ones(2, 3, requires_grad=True)
        assert type(fn(m, x).grad_fn).__name__ == name


DOUBLE = [
    lambda m, x: m.cat([x * x, x], 1),
    lambda m, x: m.stack([x * x, x]),
    lambda m, x: m.tril(x * x, -1),
    lambda m, x: m.flip(x * x, [0, 1]),
    lambda m, x: m.roll(x * x, (1, 2), (0, 1)),
    lambda m, x: m.rot90(x * x, 3),
    lambda m, x: (x * x).repeat(2, 1, 2),
    lambda m, x: m.repeat_interleave(x * x, 2, 0),
    lambda m, x: m.repeat_interleave(x * x, m.tensor([2, 0, 1]), 1),
    lambda m, x: m.block_diag(x * x, x[0]),
    lambda m, x: m.meshgrid(x[0] * x[0], x[1], indexing="xy")[0],
]


@pytest.mark.parametrize("i", range(len(DOUBLE)))
def test_double_backward(i):
    fn = DOUBLE[i]

    def f(m, x):
        (g,) = m.autograd.grad(fn(m, x).sum(), x, create_graph=True)
        return g

    run_both(f, f64(2, 3), grad=True)
    gradcheck(fn, f64(2, 3))
    ember.autograd.gradgradcheck(lambda x: fn(ember, x),
                                 (ember.tensor(f64(2, 3), requires_grad=True),))


def test_tril_triu_inplace_under_autograd():
    def f(m, a):
        y = a * 1
        y.tril_(1)
        z = (a * 2).t().t()
        z.triu_()
        return y, z

    run_both(f, f64(3, 4), grad=True)
    raises_both(lambda m, a: a.requires_grad_().tril_(), f64(3, 3), match="leaf Variable")


def test_block_diag_of_nothing_and_default_dtype():
    run_both(lambda m: m.block_diag())
    run_both(lambda m: m.block_diag(m.tensor(1), m.tensor([2.0, 3.0])))
