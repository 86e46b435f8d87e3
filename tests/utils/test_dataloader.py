"""ember.utils.data.DataLoader and default_collate against torch.utils.data.

Where the result does not depend on the random stream (sequential order, batch composition,
collate types/dtypes/shapes, drop_last, lengths, errors) ember must equal torch; shuffled
orders are checked for reproducibility under a seeded ember Generator instead. Worker tests
use num_workers=2 with the platform's default start method and a per-test alarm.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import time

import numpy as np
import pytest

import ember
import ember.utils.data as ed
from tests.harness import raises_both

torch = pytest.importorskip("torch")
import torch.utils.data as td  # noqa: E402

Point = collections.namedtuple("Point", ["x", "y"])


@pytest.fixture(autouse=True)
def _alarm():
    """Fail (not hang) a test that takes more than 60 s."""
    def boom(signum, frame):  # noqa: ANN001, ANN202
        raise TimeoutError("test took too long (DataLoader hang?)")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def data(m):  # noqa: ANN001, ANN201
    return m.utils.data


def dtype_name(d) -> str:  # noqa: ANN001
    return str(d).split(".")[-1]


def same(e, t, path: str = "batch") -> None:  # noqa: ANN001
    """e (ember) and t (torch) have the same structure, container types, dtypes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: {type(e)} is not a tensor"
        assert dtype_name(e.dtype) == dtype_name(t.dtype), f"{path}: {e.dtype} vs {t.dtype}"
        assert tuple(e.shape) == tuple(t.shape), f"{path}: {tuple(e.shape)} vs {tuple(t.shape)}"
        np.testing.assert_array_equal(e.float().numpy() if t.dtype == torch.bfloat16 else
                                      e.numpy(), t.float().numpy() if t.dtype == torch.bfloat16
                                      else t.numpy(), err_msg=path)
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t), path
        for k in t:
            same(e[k], t[k], f"{path}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t), f"{path}: {type(e)} vs {type(t)}"
        assert len(e) == len(t), path
        for i, (a, b) in enumerate(zip(e, t)):
            same(a, b, f"{path}[{i}]")
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray)
        np.testing.assert_array_equal(e, t)
    else:
        assert type(e) is type(t) and e == t, f"{path}: {e!r} vs {t!r}"


def as_torch(x):  # noqa: ANN001, ANN201
    """An ember batch with torch tensors in place of ember ones (to compare two ember runs)."""
    if isinstance(x, ember.Tensor):
        if x.dtype == ember.bfloat16:
            return torch.tensor(x.float().numpy()).to(torch.bfloat16)
        return torch.tensor(x.numpy())
    if isinstance(x, dict):
        return type(x)((k, as_torch(v)) for k, v in x.items())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(as_torch(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(as_torch(v) for v in x)
    return x


def samples(m):  # noqa: ANN001, ANN201
    """Lists of samples of every kind default_collate handles, built for module m."""
    rng = np.random.default_rng(0)
    arr = rng.standard_normal((3, 2, 3)).astype(np.float32)
    return {
        "tensors": [m.tensor(a) for a in arr],
        "int_tensors": [m.tensor([i, i + 1]) for i in range(3)],
        "bf16": [m.tensor(a).to(m.bfloat16) for a in arr],
        "scalar_tensors": [m.tensor(float(i)) for i in range(4)],
        "ndarrays": [a for a in arr],
        "np_scalars": [np.float32(1.5), np.float32(2.5)],
        "np_ints": [np.int16(1), np.int16(3)],
        "np_bools": [np.bool_(True), np.bool_(False)],
        "floats": [0.5, 1.5, 2.0],
        "ints": [1, 2, 3],
        "bools": [True, False],
        "strings": ["a", "bc"],
        "bytes": [b"a", b"b"],
        "tuples": [(m.tensor([1.0]), 2, "x"), (m.tensor([3.0]), 4, "y")],
        "lists": [[1, 2.0], [3, 4.0]],
        "dicts": [{"a": m.tensor([1, 2]), "b": 0.5, "c": {"d": 1}},
                  {"a": m.tensor([3, 4]), "b": 1.5, "c": {"d": 2}}],
        "ordered": [collections.OrderedDict(x=1, y=2.0), collections.OrderedDict(x=3, y=4.0)],
        "namedtuples": [Point(m.tensor(1.0), 2), Point(m.tensor(3.0), 4)],
        "nested": [([np.int64(1)], {"k": (1.0, m.tensor([1]))}),
                   ([np.int64(2)], {"k": (2.0, m.tensor([2]))})],
    }


SAMPLE_KINDS = list(samples(ember))


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_default_collate_matches_torch(kind):
    same(ed.default_collate(samples(ember)[kind]), td.default_collate(samples(torch)[kind]))


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_default_convert_matches_torch(kind):
    same(ed.default_convert(samples(ember)[kind][0]), td.default_convert(samples(torch)[kind][0]))


def test_default_convert_keeps_string_arrays():
    a = np.array(["x", "y"])
    assert ed.default_convert(a) is a
    assert ed.default_convert(np.str_("s")) == "s"


@pytest.mark.parametrize("batch", [[object(), object()], [[1, 2], [3]],
                                   [np.array(["a"]), np.array(["b"])]])
def test_default_collate_errors_match_torch(batch):
    raises_both(lambda m: data(m).default_collate(batch))


class Rows(ed.Dataset):
    """Map-style: sample i is (float32 row, int label, str)."""

    def __init__(self, n: int, m=ember) -> None:  # noqa: ANN001
        self.n, self.mod = n, m.__name__  # picklable, for the spawn start method too
        self.x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)

    def __getitem__(self, i: int):  # noqa: ANN204
        return sys.modules[self.mod].tensor(self.x[i]), i, f"s{i}"

    def __len__(self) -> int:
        return self.n


@pytest.mark.parametrize("n,bs,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                            (2, 5, False), (2, 5, True), (0, 2, False)])
def test_sequential_batches_match_torch(n, bs, drop_last):
    e = ed.DataLoader(Rows(n), batch_size=bs, drop_last=drop_last)
    t = td.DataLoader(Rows(n, torch), batch_size=bs, drop_last=drop_last)
    assert len(e) == len(t)
    same(list(e), list(t))


def test_no_auto_batching_and_custom_collate_match_torch():
    same(list(ed.DataLoader(Rows(3), batch_size=None)),
         list(td.DataLoader(Rows(3, torch), batch_size=None)))
    assert len(ed.DataLoader(Rows(3), batch_size=None)) == 3
    same(list(ed.DataLoader(Rows(5), batch_size=2, collate_fn=lambda b: [s[1] for s in b])),
         list(td.DataLoader(Rows(5, torch), batch_size=2, collate_fn=lambda b: [s[1] for s in b])))


def test_sampler_and_batch_sampler_match_torch():
    order = [4, 0, 3, 1, 2]
    same(list(ed.DataLoader(Rows(5), batch_size=2, sampler=order)),
         list(td.DataLoader(Rows(5, torch), batch_size=2, sampler=order)))
    bs = [[0, 4], [2], [1, 3]]
    e = ed.DataLoader(Rows(5), batch_sampler=bs)
    same(list(e), list(td.DataLoader(Rows(5, torch), batch_sampler=bs)))
    assert e.batch_size is None and e.drop_last is False and len(e) == 3


def test_shuffle_reproducible_and_each_epoch_a_permutation():
    def epochs(seed, count=3):  # noqa: ANN001, ANN202
        dl = ed.DataLoader(Rows(11), batch_size=4, shuffle=True,
                           generator=ember.Generator().manual_seed(seed))
        return [[i for b in dl for i in b[1].tolist()] for _ in range(count)]

    a = epochs(0)
    assert a == epochs(0)
    assert a != epochs(1)
    for ep in a:
        assert sorted(ep) == list(range(11))
    assert a[0] != a[1]
    ember.manual_seed(3)
    x = [b[1].tolist() for b in ed.DataLoader(Rows(11), batch_size=4, shuffle=True)]
    ember.manual_seed(3)
    assert x == [b[1].tolist() for b in ed.DataLoader(Rows(11), batch_size=4, shuffle=True)]
    dl = ed.DataLoader(Rows(11), batch_size=4, shuffle=True, drop_last=True)
    assert len(dl) == 2 and [len(b[1]) for b in dl] == [4, 4]


@pytest.mark.parametrize("kw", [
    dict(shuffle=True, sampler=[0, 1]), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True), dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_size=None, drop_last=True),
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1), dict(persistent_workers=True),
    dict(multiprocessing_context="fork"), dict(num_workers=1, multiprocessing_context="nope"),
    dict(num_workers=1, multiprocessing_context=3)])
def test_invalid_combinations_raise_like_torch(kw):
    raises_both(lambda m: data(m).DataLoader(list(range(4)), **kw))


def test_attributes_frozen_after_init_and_timeout_needs_workers():
    dl = ed.DataLoader(list(range(4)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        dl.batch_size = 3
    dl.num_workers = 0  # not frozen, as in torch
    raises_both(lambda m: iter(data(m).DataLoader(list(range(4)), timeout=1)))


class Stream(ed.IterableDataset):
    """Iterable: yields start..end-1, sharded across workers only when `shard`."""

    def __init__(self, start: int, end: int, shard: bool = False, info=ed.get_worker_info):  # noqa: ANN001
        self.start, self.end, self.shard, self.info = start, end, shard, info

    def __iter__(self):  # noqa: ANN204
        w = self.info()
        if self.shard and w is not None:
            return iter(range(self.start + w.id, self.end, w.num_workers))
        return iter(range(self.start, self.end))

    def __len__(self) -> int:
        return self.end - self.start


class TStream(td.IterableDataset):
    def __init__(self, start: int, end: int, shard: bool = False) -> None:
        self.s = Stream(start, end, shard, td.get_worker_info)

    def __iter__(self):  # noqa: ANN204
        return iter(self.s)


@pytest.mark.parametrize("bs,drop_last", [(None, False), (1, False), (3, False), (3, True)])
def test_iterable_dataset_matches_torch(bs, drop_last):
    e = ed.DataLoader(Stream(0, 10), batch_size=bs, drop_last=drop_last)
    t = td.DataLoader(TStream(0, 10), batch_size=bs, drop_last=drop_last)
    same(list(e), list(t))
    assert len(e) == len(td.DataLoader(Stream(0, 10), batch_size=bs, drop_last=drop_last))


def test_iterable_dataset_errors_and_len_warning():
    def stream(m):  # noqa: ANN001, ANN202
        return Stream(0, 3) if m is ember else TStream(0, 3)

    raises_both(lambda m: data(m).DataLoader(stream(m), shuffle=True))
    raises_both(lambda m: data(m).DataLoader(stream(m), sampler=[0]))
    raises_both(lambda m: data(m).DataLoader(stream(m), batch_sampler=[[0]]))

    class Short(Stream):
        def __len__(self) -> int:
            return 2

    dl = ed.DataLoader(Short(0, 4), batch_size=None)
    assert len(dl) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        assert len(list(dl)) == 4


# ------------------------------------------------------------------ worker processes
def test_workers_keep_order_and_match_single_process():
    ref = list(ed.DataLoader(Rows(13), batch_size=3))
    got = list(ed.DataLoader(Rows(13), batch_size=3, num_workers=2))
    same(got, list(td.DataLoader(Rows(13, torch), batch_size=3)))
    same(got, as_torch(ref))
    g = lambda: ember.Generator().manual_seed(9)  # noqa: E731
    one = [b[1].tolist() for b in ed.DataLoader(Rows(13), batch_size=3, shuffle=True,
                                                generator=g())]
    two = [b[1].tolist() for b in ed.DataLoader(Rows(13), batch_size=3, shuffle=True,
                                                generator=g(), num_workers=2, prefetch_factor=1)]
    assert one == two


class WorkerProbe(ed.Dataset):
    """Sample i reports which worker fetched it, its seed, an ember draw and the worker pid."""

    def __getitem__(self, i: int):  # noqa: ANN204
        w = ed.get_worker_info()
        return {"i": i, "id": w.id, "n": w.num_workers, "seed": w.seed,
                "draw": ember.rand(1), "np": np.random.randint(1 << 30), "pid": os.getpid(),
                "same": w.dataset is self, "init": os.environ.get("EMBER_TEST_INIT", "")}

    def __len__(self) -> int:
        return 8


def _init(worker_id: int) -> None:
    os.environ["EMBER_TEST_INIT"] = f"w{worker_id}"


def test_worker_info_seeds_and_init_fn():
    assert ed.get_worker_info() is None
    dl = ed.DataLoader(WorkerProbe(), batch_size=2, num_workers=2, worker_init_fn=_init,
                       generator=ember.Generator().manual_seed(1))
    batches = list(dl)
    assert [b["i"].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert [b["id"].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0], [1, 1]]
    assert all(b["n"].tolist() == [2, 2] and b["same"].tolist() == [True, True]
               for b in batches)
    assert [b["init"] for b in batches] == [["w0", "w0"], ["w1", "w1"]] * 2
    seeds = {b["id"][0].item(): b["seed"][0].item() for b in batches}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker_id
    base = int(ember.empty((), dtype=ember.int64)
               .random_(generator=ember.Generator().manual_seed(1)).item())
    assert seeds[0] == base
    # each worker's ember generator is seeded with its seed
    assert batches[0]["draw"][0].tolist() == ember.rand(1, generator=ember.Generator()
                                                        .manual_seed(seeds[0])).tolist()
    assert batches[0]["draw"].dtype == ember.float32 and tuple(batches[0]["draw"].shape) == (2, 1)
    assert {b["pid"][0].item() for b in batches} != {os.getpid()}
    again = list(ed.DataLoader(WorkerProbe(), batch_size=2, num_workers=2,
                               generator=ember.Generator().manual_seed(1)))
    for a, b in zip(batches, again):
        assert a["draw"].tolist() == b["draw"].tolist() and a["np"].tolist() == b["np"].tolist()


@pytest.mark.parametrize("shard", [False, True])
def test_iterable_dataset_with_workers_matches_torch(shard):
    e = [b.tolist() for b in ed.DataLoader(Stream(0, 7, shard), batch_size=2, num_workers=2)]
    t = [b.tolist() for b in td.DataLoader(TStream(0, 7, shard), batch_size=2, num_workers=2)]
    assert e == t
    flat = sorted(i for b in e for i in b)
    assert flat == (list(range(7)) if shard else sorted(list(range(7)) * 2))


class Structured(ed.Dataset):
    def __getitem__(self, i: int):  # noqa: ANN204
        return Point(ember.full((2,), i, dtype=ember.bfloat16), {"t": (ember.tensor([i]), "s")})

    def __len__(self) -> int:
        return 4


def test_workers_ship_structures_and_dtypes():
    ref = list(ed.DataLoader(Structured(), batch_size=2))
    got = list(ed.DataLoader(Structured(), batch_size=2, num_workers=2))
    for r, g in zip(ref, got):
        assert type(g) is Point and g.x.dtype == ember.bfloat16
        assert g.x.float().tolist() == r.x.float().tolist()
        assert g.y["t"][0].tolist() == r.y["t"][0].tolist() and g.y["t"][1] == ("s", "s")
        g.y["t"][0].add_(1)  # rebuilt tensors own writable memory


class Failing(ed.Dataset):
    def __getitem__(self, i: int):  # noqa: ANN204
        if i == 3:
            raise KeyError("bad index 3")
        if i == 5:
            raise ValueError("five")
        return i

    def __len__(self) -> int:
        return 6


def test_worker_errors_reraise_in_parent():
    with pytest.raises(KeyError, match="in DataLoader worker process 1") as info:
        list(ed.DataLoader(Failing(), batch_size=2, num_workers=2))
    assert "bad index 3" in str(info.value)
    it = iter(ed.DataLoader(Failing(), batch_size=1, num_workers=2))
    assert [next(it).tolist() for _ in range(3)] == [[0], [1], [2]]
    with pytest.raises(KeyError):
        next(it)
    assert next(it).tolist() == [4]
    with pytest.raises(ValueError, match="five"):
        next(it)
    with pytest.raises(RuntimeError):  # a failing worker_init_fn is reported too
        list(ed.DataLoader(range(4), num_workers=2, worker_init_fn=_bad_init))


def _bad_init(worker_id: int) -> None:
    raise RuntimeError(f"init {worker_id} failed")


class Slow(ed.Dataset):
    def __getitem__(self, i: int) -> int:
        time.sleep(1.5)
        return i

    def __len__(self) -> int:
        return 2


class Dies(ed.Dataset):
    def __getitem__(self, i: int) -> int:
        os._exit(3)

    def __len__(self) -> int:
        return 2


def test_timeout_and_dead_worker():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(iter(ed.DataLoader(Slow(), num_workers=2, timeout=0.3)))
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        next(iter(ed.DataLoader(Dies(), num_workers=2)))


def test_persistent_workers_and_shutdown():
    dl = ed.DataLoader(WorkerProbe(), batch_size=4, num_workers=2, persistent_workers=True)
    first = [b["pid"].tolist() for b in dl]
    it = dl._iterator
    partial = next(iter(dl))  # a new epoch restarts the same workers
    assert partial["i"].tolist() == [0, 1, 2, 3]
    assert [b["pid"].tolist() for b in dl] == first and dl._iterator is it
    procs = list(it._workers)
    assert all(p.is_alive() for p in procs)
    it._shutdown_workers()
    assert not any(p.is_alive() for p in procs)
    it2 = iter(ed.DataLoader(Rows(20), batch_size=2, num_workers=2))
    next(it2)
    procs = list(it2._workers)
    del it2  # an abandoned iterator stops its workers
    assert not any(p.is_alive() for p in procs)


def test_out_of_order_prefetch_and_pin_memory():
    dl = ed.DataLoader(Rows(9), batch_size=2, num_workers=2, in_order=False, prefetch_factor=1)
    got = sorted(i for b in dl for i in b[1].tolist())
    assert got == list(range(9))
    with pytest.warns(UserWarning, match="pin_memory"):
        out = list(ed.DataLoader(Rows(3), batch_size=3, pin_memory=True))
    assert out[0][1].tolist() == [0, 1, 2]
