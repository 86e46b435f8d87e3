"""ember.utils.data datasets and random_split, compared with torch.utils.data where the answer
does not depend on the random stream."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ed
from tests.harness import raises_both

torch = pytest.importorskip("torch")
import torch.utils.data as td  # noqa: E402


def data(m):  # noqa: ANN001, ANN201
    return m.utils.data


class Squares(ed.Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self) -> int:
        return self.n


class Count(ed.IterableDataset):
    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi

    def __iter__(self):  # noqa: ANN204
        return iter(range(self.lo, self.hi))

    def __len__(self) -> int:
        return self.hi - self.lo


def test_dataset_base_raises_and_add():
    with pytest.raises(NotImplementedError):
        ed.Dataset()[0]
    both = Squares(3) + Squares(2)
    assert isinstance(both, ed.ConcatDataset)
    assert [both[i] for i in range(len(both))] == [0, 1, 4, 0, 1]
    chained = Count(0, 2) + Count(5, 7)
    assert isinstance(chained, ed.ChainDataset)
    assert list(chained) == [0, 1, 5, 6] and len(chained) == 4


def test_tensor_dataset_matches_torch():
    x = np.arange(24, dtype=np.float32).reshape(6, 4)
    y = np.arange(6, dtype=np.int64)
    e = ed.TensorDataset(ember.tensor(x), ember.tensor(y))
    t = td.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(e) == len(t) == 6
    for idx in (0, 5, -1, slice(1, 4), [0, 2]):
        for ei, ti in zip(e[idx], t[idx], strict=True):
            np.testing.assert_array_equal(ei.numpy(), ti.numpy())
            assert str(ei.dtype).split(".")[1] == str(ti.dtype).split(".")[1]
    assert isinstance(e[0], tuple) and len(e[0]) == 2


def test_tensor_dataset_size_mismatch():
    raises_both(lambda m, a, b: data(m).TensorDataset(a, b), np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        ed.TensorDataset(ember.zeros(3), ember.zeros(4))


def test_subset():
    s = ed.Subset(Squares(10), [9, 2, 4])
    assert len(s) == 3 and [s[i] for i in range(3)] == [81, 4, 16]
    assert s.__getitems__([2, 0]) == [16, 81]
    ts = ed.Subset(ed.TensorDataset(ember.arange(10)), [3, 1])
    assert ts[[0, 1]][0].tolist() == [3, 1]  # list indices go to the dataset in one call


def test_subset_subclass_needs_getitems():
    for m in (ed, td):
        class Bad(m.Subset):
            def __getitem__(self, i):  # noqa: ANN001, ANN204
                return 0

        with pytest.raises(NotImplementedError, match="__getitems__"):
            Bad([1, 2], [0])


def test_concat_dataset_matches_torch():
    parts = [list(range(3)), list(range(10, 15)), [], list(range(20, 22))]
    e, t = ed.ConcatDataset(parts), td.ConcatDataset(parts)
    assert len(e) == len(t) == 10
    assert e.cumulative_sizes == t.cumulative_sizes
    assert [e[i] for i in range(-10, 10)] == [t[i] for i in range(-10, 10)]
    raises_both(lambda m: data(m).ConcatDataset(parts)[-11])
    raises_both(lambda m: data(m).ConcatDataset(parts)[10])
    raises_both(lambda m: data(m).ConcatDataset([]))
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ed.ConcatDataset([Count(0, 3)])
    with pytest.warns(FutureWarning):
        assert e.cummulative_sizes == e.cumulative_sizes


def test_chain_dataset_rejects_map_style():
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ed.ChainDataset([Count(0, 1), Squares(2)]))
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        len(ed.ChainDataset([Squares(2)]))


def test_stack_dataset():
    a, b = Squares(4), list("abcd")
    st = ed.StackDataset(a, b)
    assert len(st) == 4 and st[2] == (4, "c")
    assert st.__getitems__([3, 1]) == [(9, "d"), (1, "b")]
    sd = ed.StackDataset(num=a, ch=b)
    assert sd[1] == {"num": 1, "ch": "b"}
    assert sd.__getitems__([0, 3]) == [{"num": 0, "ch": "a"}, {"num": 9, "ch": "d"}]
    tt = td.StackDataset(num=list(range(4)), ch=b)
    assert sd.__getitems__([0, 3])[1]["ch"] == tt.__getitems__([0, 3])[1]["ch"]
    for bad in (lambda m: data(m).StackDataset(a, ch=b), lambda m: data(m).StackDataset(),
                lambda m: data(m).StackDataset(a, [1])):
        raises_both(bad)


@pytest.mark.parametrize("n,lengths", [
    (10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (7, [0.2, 0.2, 0.2, 0.2, 0.2]),
    (100, [1 / 3, 1 / 3, 1 / 3]), (5, [1.0]), (3, [0.1, 0.1, 0.8]), (0, [0.5, 0.5])])
def test_random_split_sizes_match_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = ed.random_split(Squares(n), lengths, generator=ember.Generator().manual_seed(0))
        t = td.random_split(list(range(n)), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in e] == [len(s) for s in t]
    got = sorted(i for s in e for i in s.indices)
    assert got == list(range(n))  # disjoint and covering
    assert all(isinstance(s, ed.Subset) for s in e)


def test_random_split_reproducible_and_errors():
    def split(seed):  # noqa: ANN001, ANN202
        return [s.indices for s in ed.random_split(range(20), [5, 15],
                                                   generator=ember.Generator().manual_seed(seed))]

    assert split(3) == split(3)
    assert split(3) != split(4)
    ember.manual_seed(7)
    a = [s.indices for s in ed.random_split(range(20), [0.5, 0.5])]
    ember.manual_seed(7)
    assert a == [s.indices for s in ed.random_split(range(20), [0.5, 0.5])]
    raises_both(lambda m: data(m).random_split(range(10), [3, 3]))
    raises_both(lambda m: data(m).random_split(range(10), [1.5, -0.5]))
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        sizes = [len(s) for s in ed.random_split(range(2), [0.1, 0.1, 0.8])]
    assert sizes == [1, 0, 1]
