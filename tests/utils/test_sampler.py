"""ember.utils.data samplers: deterministic ones against torch, random ones for reproducibility
under a seeded ember Generator and for the shape of what they draw."""

from __future__ import annotations

import collections

import pytest

import ember
import ember.utils.data as ed
from tests.harness import raises_both

torch = pytest.importorskip("torch")
import torch.utils.data as td  # noqa: E402


def data(m):  # noqa: ANN001, ANN201
    return m.utils.data


def gen(seed: int) -> ember.Generator:
    return ember.Generator().manual_seed(seed)


def test_sampler_base():
    with pytest.raises(NotImplementedError):
        iter(ed.Sampler())
    assert ed.Sampler[int] is not None  # generic like torch's


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler(n):
    e, t = ed.SequentialSampler(range(n)), td.SequentialSampler(range(n))
    assert list(e) == list(t) and len(e) == len(t) == n


@pytest.mark.parametrize("n", [0, 1, 9, 10, 12])
@pytest.mark.parametrize("bs", [1, 3, 5, 16])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(n, bs, drop_last):
    e = ed.BatchSampler(ed.SequentialSampler(range(n)), bs, drop_last)
    t = td.BatchSampler(td.SequentialSampler(range(n)), bs, drop_last)
    assert list(e) == list(t)
    assert len(e) == len(t)
    assert list(ed.BatchSampler(range(n), bs, drop_last)) == list(t)  # any iterable works


@pytest.mark.parametrize("kw", [dict(batch_size=0, drop_last=False),
                                dict(batch_size=True, drop_last=False),
                                dict(batch_size=2.0, drop_last=False),
                                dict(batch_size=2, drop_last=1)])
def test_batch_sampler_bad_args(kw):
    raises_both(lambda m: data(m).BatchSampler(range(4), **kw))


def test_random_sampler_permutation_and_reproducible():
    n = 23
    a = list(ed.RandomSampler(range(n), generator=gen(0)))
    b = list(ed.RandomSampler(range(n), generator=gen(0)))
    assert a == b and sorted(a) == list(range(n)) and a != list(range(n))
    s = ed.RandomSampler(range(n), generator=gen(1))
    e1, e2 = list(s), list(s)
    assert sorted(e1) == sorted(e2) == list(range(n)) and e1 != e2  # the stream advances
    ember.manual_seed(5)
    c = list(ed.RandomSampler(range(n)))
    ember.manual_seed(5)
    assert list(ed.RandomSampler(range(n))) == c  # no generator: seeded from the default one
    assert len(s) == n


def test_random_sampler_num_samples():
    n = 10
    s = ed.RandomSampler(range(n), num_samples=25, generator=gen(2))
    out = list(s)
    assert len(out) == len(s) == len(td.RandomSampler(range(n), num_samples=25)) == 25
    assert sorted(out[:10]) == sorted(out[10:20]) == list(range(n))  # whole permutations first
    assert len(set(out[20:])) == 5
    r = ed.RandomSampler(range(n), replacement=True, num_samples=70, generator=gen(3))
    out = list(r)
    assert len(out) == 70 and all(0 <= i < n for i in out) and isinstance(out[0], int)
    assert len(set(out)) < 70  # with replacement repeats must occur (70 draws of 10)
    assert out == list(ed.RandomSampler(range(n), replacement=True, num_samples=70,
                                        generator=gen(3)))


@pytest.mark.parametrize("kw", [dict(replacement=1), dict(num_samples=0),
                                dict(num_samples=-2), dict(num_samples=3.0)])
def test_random_sampler_bad_args(kw):
    raises_both(lambda m: data(m).RandomSampler(range(5), **kw))
    raises_both(lambda m: data(m).RandomSampler(range(0)))


def test_subset_random_sampler():
    idx = [10, 4, 7, 99]
    s = ed.SubsetRandomSampler(idx, generator=gen(0))
    out = list(s)
    assert sorted(out) == sorted(idx) and len(s) == 4
    assert out == list(ed.SubsetRandomSampler(idx, generator=gen(0)))


def test_weighted_random_sampler():
    w = [0.0, 1.0, 3.0, 0.0, 2.0]
    s = ed.WeightedRandomSampler(w, 400, generator=gen(0))
    out = list(s)
    assert len(out) == len(s) == 400
    counts = collections.Counter(out)
    assert set(counts) <= {1, 2, 4}  # zero weights are never drawn
    assert counts[2] > counts[4] > counts[1]
    assert out == list(ed.WeightedRandomSampler(w, 400, generator=gen(0)))
    nr = list(ed.WeightedRandomSampler(w, 3, replacement=False, generator=gen(1)))
    assert sorted(nr) == [1, 2, 4]
    assert s.weights.dtype == ember.float64
    assert s.weights.tolist() == td.WeightedRandomSampler(w, 400).weights.tolist()


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([1.0, 2.0], 2.0),
                                  ([[1.0, 2.0]], 2), ([1.0, 2.0], 2, 1)])
def test_weighted_random_sampler_bad_args(args):
    raises_both(lambda m: data(m).WeightedRandomSampler(*args))


def test_batch_of_random_sampler_is_a_partition():
    s = ed.BatchSampler(ed.RandomSampler(range(11), generator=gen(4)), 4, False)
    batches = list(s)
    assert [len(b) for b in batches] == [4, 4, 3]
    assert sorted(i for b in batches for i in b) == list(range(11))
