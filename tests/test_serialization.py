"""ember.save / ember.load: PyTorch's checkpoint format, cross-loaded with real torch."""

from __future__ import annotations

import io
import os
import pickle
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
import ember._zip_archive as Z
import ember.nn
import ember.optim
import ember.serialization as S

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]


def _np(t: object) -> np.ndarray:
    """Values of an ember or torch tensor as NumPy (bfloat16 widened to float32)."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    a = t.detach().numpy()
    return a.astype(np.float32) if t.dtype == ember.bfloat16 else a


def _data(name: str, shape: tuple = (3, 4)) -> np.ndarray:
    rng = np.random.default_rng(0)
    if name == "bool":
        return rng.random(shape) > 0.5
    if name.startswith("complex"):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    if name in ("float16", "bfloat16"):
        return rng.standard_normal(shape).astype(np.float32)
    if name.startswith("float"):
        return rng.standard_normal(shape).astype(name)
    return rng.integers(0, 100, shape).astype(name)


def _pair(name: str, shape: tuple = (3, 4)) -> tuple:
    a = _data(name, shape)
    return (ember.tensor(a, dtype=getattr(ember, name)),
            torch.tensor(a, dtype=getattr(torch, name)))


def _same(e: object, t: object) -> None:
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    assert tuple(e.stride()) == tuple(t.stride())
    assert e.storage_offset() == t.storage_offset()
    assert e.requires_grad == t.requires_grad
    np.testing.assert_array_equal(_np(e), _np(t))


def _ember_to_torch(obj: object, **kw: object) -> object:
    buf = io.BytesIO()
    S.save(obj, buf)
    return torch.load(io.BytesIO(buf.getvalue()), **kw)


def _torch_to_ember(obj: object, **kw: object) -> object:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return S.load(io.BytesIO(buf.getvalue()), **kw)


# ------------------------------------------------------------------ dtypes and views
@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_both_directions(name):
    e, t = _pair(name)
    _same(_ember_to_torch(e), e)  # torch.load(weights_only=True) reads ember's file
    _same(_torch_to_ember(t), t)
    _same(S.load(io.BytesIO(_saved(e))), e)


def _saved(obj: object, **kw: object) -> bytes:
    buf = io.BytesIO()
    S.save(obj, buf, **kw)
    return buf.getvalue()


def _views(m: object) -> dict:
    base = m.arange(24.0).view(4, 6)
    return {"base": base, "t": base.t(), "row": base[2], "cols": base[:, 1::2],
            "exp": base[0, :1].expand(3, 5), "scalar": base[3, 5], "other": m.ones(2)}


def test_views_share_storage_ember_to_torch():
    got = _ember_to_torch(_views(ember))
    want = _views(ember)
    for k in want:
        _same(want[k], got[k])
    ptr = got["base"].untyped_storage().data_ptr()
    assert all(got[k].untyped_storage().data_ptr() == ptr for k in ("t", "row", "cols", "exp",
                                                                     "scalar"))
    assert got["other"].untyped_storage().data_ptr() != ptr
    got["row"].fill_(-1.0)  # still one storage after loading
    assert got["t"][1, 2].item() == -1.0 and got["base"][2, 5].item() == -1.0


def test_views_share_storage_torch_to_ember():
    got = _torch_to_ember(_views(torch))
    want = _views(torch)
    for k in want:
        _same(got[k], want[k])
    s = got["base"].untyped_storage()
    assert all(got[k].untyped_storage() == s for k in ("t", "row", "cols", "exp", "scalar"))
    assert got["other"].untyped_storage() != s
    got["row"].fill_(-1.0)
    assert got["t"][1, 2].item() == -1.0 and got["base"][2, 5].item() == -1.0
    assert got["base"]._version == got["t"]._version  # one version counter, as one storage


def test_one_record_per_storage():
    x = ember.arange(10.0)
    raw = _saved({"a": x, "b": x[2:5], "c": x.view(2, 5).t(), "d": ember.zeros(3)})
    names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    assert sorted(n for n in names if "/data/" in n) == ["archive/data/0", "archive/data/1"]


def test_same_memory_as_two_dtypes_is_refused_like_torch():
    for m in (ember, torch):
        x = m.ones(4)
        with pytest.raises(RuntimeError, match="view the same data as different types"):
            (S.save if m is ember else torch.save)([x, x.view(m.int32)], io.BytesIO())


def test_requires_grad_and_non_leaf():
    x = ember.ones(3, requires_grad=True)
    got = _ember_to_torch({"leaf": x, "nonleaf": x * 2})
    assert got["leaf"].requires_grad and got["nonleaf"].requires_grad
    assert got["nonleaf"].is_leaf and got["nonleaf"].grad_fn is None
    np.testing.assert_array_equal(got["nonleaf"].detach().numpy(), [2, 2, 2])
    back = _torch_to_ember({"leaf": torch.ones(2, requires_grad=True)})
    assert back["leaf"].requires_grad and back["leaf"].is_leaf


def test_empty_zero_dim_and_noncontiguous():
    objs = {"empty": ember.ones(0), "empty2": ember.ones(0, 3), "zero_d": ember.tensor(2.5),
            "strided": ember.arange(12.0).view(3, 4)[::2, ::3]}
    got = _ember_to_torch(objs)
    for k, v in objs.items():
        np.testing.assert_array_equal(_np(v), _np(got[k]))
        assert tuple(got[k].shape) == tuple(v.shape)
    back = S.load(io.BytesIO(_saved(objs)))
    for k, v in objs.items():
        _same(back[k], v)


def test_fortran_ordered_numpy_memory_is_saved_in_place():
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    e = ember.from_numpy(a)
    got = _ember_to_torch({"f": e, "col": e[:, 1]})
    np.testing.assert_array_equal(got["f"].numpy(), a)
    assert got["f"].stride() == (1, 3)
    assert got["col"].untyped_storage().data_ptr() == got["f"].untyped_storage().data_ptr()


# ------------------------------------------------------------------ containers and scalars
def _plain() -> dict:
    return {"int": 3, "neg": -7, "big": 2**70, "float": 1.5, "nan": float("nan"), "str": "héllo",
            "bytes": b"\x00\xff", "none": None, "true": True, "complex": 1 + 2j,
            "list": [1, [2, (3, 4)], {"k": "v"}], "tuple": (1, "a", ()), "set": {1, 2},
            "od": OrderedDict([("b", 1), ("a", 2)]), "bytearray": bytearray(b"ab"),
            "empty": {}, 5: "int key", ("t", 1): "tuple key"}


def _check_plain(got: dict) -> None:
    want = _plain()
    assert set(got) == set(want)
    for k, v in want.items():
        if k == "nan":
            assert got[k] != got[k]
        else:
            assert got[k] == v and type(got[k]) is type(v), k


def test_nested_containers_and_scalars_both_directions():
    _check_plain(_ember_to_torch(_plain()))
    _check_plain(_torch_to_ember(_plain()))
    _check_plain(S.load(io.BytesIO(_saved(_plain()))))
    assert S.load(io.BytesIO(_saved(frozenset({1, 2})))) == frozenset({1, 2})


def test_dtype_device_size_values():
    obj = {"dt": [ember.float16, ember.bfloat16, ember.bool, ember.complex128],
           "dev": ember.device("cpu"), "cuda": ember.device("cuda", 1), "size": ember.Size([2, 3]),
           "fmt": ember.channels_last}
    got = _ember_to_torch({k: v for k, v in obj.items() if k != "fmt"})
    assert got["dt"] == [torch.float16, torch.bfloat16, torch.bool, torch.complex128]
    assert got["dev"] == torch.device("cpu") and got["cuda"] == torch.device("cuda", 1)
    assert got["size"] == torch.Size([2, 3]) and type(got["size"]) is torch.Size
    back = S.load(io.BytesIO(_saved(obj)))
    assert back["dt"][0] is ember.float16 and back["dt"][2] is ember.bool
    assert back["cuda"] == ember.device("cuda:1") and type(back["size"]) is ember.Size
    assert back["fmt"] is ember.channels_last
    tb = _torch_to_ember({"dt": torch.int64, "dev": torch.device("cpu"), "s": torch.Size([4])})
    assert tb == {"dt": ember.int64, "dev": ember.device("cpu"), "s": ember.Size([4])}


def test_tensor_attributes_and_parameters():
    x = ember.ones(2)
    x.tag = "kept"
    p = ember.nn.Parameter(ember.arange(3.0))
    frozen = ember.nn.Parameter(ember.zeros(2), requires_grad=False)
    frozen.note = "state"  # written as torch._utils._rebuild_parameter_with_state
    got = _ember_to_torch({"x": x, "p": p, "frozen": frozen})
    assert got["x"].tag == "kept" and got["frozen"].note == "state"
    assert type(got["p"]) is torch.nn.Parameter and got["p"].requires_grad
    assert type(got["frozen"]) is torch.nn.Parameter and not got["frozen"].requires_grad
    back = S.load(io.BytesIO(_saved({"x": x, "p": p})))
    assert back["x"].tag == "kept" and type(back["p"]) is ember.nn.Parameter
    tp = torch.nn.Parameter(torch.arange(3.0))
    tp.note = 1
    t = torch.ones(1)
    t.tag = "t"
    got = _torch_to_ember({"p": tp, "t": t})
    assert type(got["p"]) is ember.nn.Parameter and got["p"].requires_grad and got["p"].note == 1
    assert got["t"].tag == "t"


# ------------------------------------------------------------------ modules and optimizers
class _ESub(ember.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = ember.nn.Parameter(ember.tensor([1.5, -2.0]))
        self.register_buffer("running", ember.tensor([0.25, 0.5]))
        self.register_buffer("scratch", ember.zeros(1), persistent=False)


class _ENet(ember.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = ember.nn.Parameter(ember.tensor(_data("float32", (2, 3))))
        self.register_buffer("steps", ember.tensor(7))
        self.sub = _ESub()


class _TSub(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.zeros(2))
        self.register_buffer("running", torch.zeros(2))


class _TNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(2, 3))
        self.register_buffer("steps", torch.tensor(0))
        self.sub = _TSub()


def test_module_state_dict_with_metadata_both_directions(tmp_path):
    sd = _ENet().state_dict()
    S.save(sd, tmp_path / "net.pt")
    got = torch.load(tmp_path / "net.pt")
    assert type(got) is OrderedDict and list(got) == ["weight", "steps", "sub.scale",
                                                      "sub.running"]
    assert got._metadata == OrderedDict([("", {"version": 1}), ("sub", {"version": 1})])
    net = _TNet()
    net.load_state_dict(got)  # strict: same keys, shapes and dtypes
    np.testing.assert_array_equal(net.weight.detach().numpy(), _data("float32", (2, 3)))
    assert net.steps.item() == 7 and net.sub.running.tolist() == [0.25, 0.5]

    torch.save(net.state_dict(), tmp_path / "t.pt")
    back = S.load(tmp_path / "t.pt")
    assert type(back) is OrderedDict and back._metadata == got._metadata
    fresh = _ENet()
    fresh.sub.scale.data.zero_()
    fresh.load_state_dict(back)
    assert fresh.sub.scale.tolist() == [1.5, -2.0]


def test_optimizer_state_dict_both_directions():
    w = ember.nn.Parameter(ember.tensor([[1.0, -2.0], [0.5, 3.0]]))
    opt = ember.optim.AdamW([w], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    sd = opt.state_dict()
    got = _ember_to_torch(sd)
    tw = torch.nn.Parameter(torch.tensor(w.detach().numpy()))
    topt = torch.optim.AdamW([tw], lr=0.1)
    topt.load_state_dict(got)
    for key in ("exp_avg", "exp_avg_sq", "step"):
        np.testing.assert_array_equal(topt.state[tw][key].numpy(), _np(sd["state"][0][key]))
    assert topt.param_groups[0]["lr"] == 0.1 and got["param_groups"][0]["params"] == [0]

    back = _torch_to_ember(topt.state_dict())
    opt2 = ember.optim.AdamW([ember.nn.Parameter(ember.zeros(2, 2))], lr=0.5)
    opt2.load_state_dict(back)
    assert opt2.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(_np(back["state"][0]["exp_avg"]),
                                  _np(sd["state"][0]["exp_avg"]))


# ------------------------------------------------------------------ destinations
def test_paths_pathlib_file_objects_and_buffers(tmp_path):
    x = ember.arange(5)
    S.save(x, str(tmp_path / "a.pt"))
    S.save(x, tmp_path / "b.model.pt")
    with open(tmp_path / "c.pt", "wb") as fh:
        S.save(x, fh)
    for name, arch in [("a.pt", "a"), ("b.model.pt", "b.model"), ("c.pt", "archive")]:
        p = tmp_path / name
        assert zipfile.ZipFile(p).namelist()[0] == f"{arch}/data.pkl"  # torch's naming
        assert torch.load(p).tolist() == [0, 1, 2, 3, 4]
        assert S.load(p).tolist() == [0, 1, 2, 3, 4]
        assert S.load(str(p)).tolist() == [0, 1, 2, 3, 4]
        with open(p, "rb") as fh:
            assert S.load(fh).tolist() == [0, 1, 2, 3, 4]
    buf = io.BytesIO(b"prefix")  # saving to and loading from the middle of a stream
    buf.seek(6)
    S.save(x, buf)
    buf.seek(6)
    assert S.load(buf).tolist() == [0, 1, 2, 3, 4]


def test_bad_destinations_and_sources(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory"):
        S.save(ember.ones(1), tmp_path / "missing" / "x.pt")
    with pytest.raises(AttributeError, match="has no callable attribute 'write'"):
        S.save(ember.ones(1), 42)
    with pytest.raises(NotImplementedError, match="legacy"):
        S.save(ember.ones(1), io.BytesIO(), _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="neither a zip checkpoint nor a legacy"):
        S.load(io.BytesIO(b"not a checkpoint"))
    with pytest.raises(FileNotFoundError):
        S.load(tmp_path / "nope.pt")
    with pytest.raises(RuntimeError, match="Can not safely load weights"):
        S.load(io.BytesIO(_saved(1)), pickle_module=pickle, weights_only=True)


def test_legacy_format_written_by_torch_loads():
    x = torch.arange(6.0).view(2, 3)
    buf = io.BytesIO()
    torch.save({"x": x, "t": x.t(), "i": torch.arange(3, dtype=torch.int16),
                "p": torch.nn.Parameter(torch.ones(2)), "meta": [1, "a"]}, buf,
               _use_new_zipfile_serialization=False)
    raw = buf.getvalue()
    for got in (S.load(io.BytesIO(raw)), S.load(io.BytesIO(raw), weights_only=False),
                S.load(io.BytesIO(raw), map_location=lambda s, loc: s)):
        _same(got["t"], x.t())
        _same(got["i"], torch.arange(3, dtype=torch.int16))
        assert got["t"].untyped_storage() == got["x"].untyped_storage()
        assert type(got["p"]) is ember.nn.Parameter and got["meta"] == [1, "a"]
    with pytest.raises(NotImplementedError, match="on the CPU only"):
        S.load(io.BytesIO(raw), map_location="meta")
    with pytest.raises(RuntimeError, match="truncated"):
        S.load(io.BytesIO(raw[:-8]))


def test_recompressed_archive_still_loads(tmp_path):
    src = zipfile.ZipFile(io.BytesIO(_saved({"x": ember.arange(100.0)})))
    p = tmp_path / "deflated.pt"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
    assert S.load(p)["x"].tolist() == list(map(float, range(100)))
    with pytest.raises(RuntimeError, match="compressed"):
        S.load(p, mmap=True)


def test_truncated_or_foreign_files_raise():
    raw = _saved(ember.arange(64.0))
    with pytest.raises(RuntimeError, match="zip archive"):
        S.load(io.BytesIO(raw[: len(raw) // 2]))
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("stuff/readme.txt", "not a checkpoint")
    with pytest.raises(RuntimeError, match="failed locating file data.pkl"):
        S.load(io.BytesIO(other.getvalue()))


# ------------------------------------------------------------------ the archive itself
def test_archive_layout_matches_torch(tmp_path):
    obj = {"a": ember.arange(7.0), "b": ember.ones(0), "c": ember.tensor([1, 2], dtype=ember.int16)}
    S.save(obj, tmp_path / "e.pt")
    torch.save({k: torch.tensor(_np(v)) for k, v in obj.items()}, tmp_path / "t.pt")
    ez, tz = zipfile.ZipFile(tmp_path / "e.pt"), zipfile.ZipFile(tmp_path / "t.pt")
    assert [n[2:] for n in ez.namelist()] == [n[2:] for n in tz.namelist()]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in ez.infolist())
    assert ez.read("e/version") == b"3\n" and ez.read("e/byteorder") == b"little"
    assert ez.read("e/.format_version") == b"1" and ez.read("e/.storage_alignment") == b"64"
    sid = ez.read("e/.data/serialization_id")
    assert len(sid) == 40 and sid.isdigit()
    assert ez.testzip() is None
    with open(tmp_path / "e.pt", "rb") as fh:
        reader = Z.ZipReader(fh)
        assert all(reader.record_offset(n) % 64 == 0 for n in reader.names())
    for i in ez.infolist():  # data descriptors as miniz: after every non-empty record
        assert i.flag_bits & 0x08 == (0x08 if i.file_size else 0)


def test_torch_mmap_with_computed_offsets_reads_ember_files(tmp_path, monkeypatch):
    """torch's calculate_storage_offsets walks the archive assuming miniz's exact layout."""
    from torch.utils.serialization import config

    x = ember.arange(12.0)
    S.save({"a": x, "e": ember.ones(0), "b": x[3:], "c": ember.arange(5), "d": ember.ones(70)},
           tmp_path / "m.pt")
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")  # asserts every computed offset
    with config.patch({"load.calculate_storage_offsets": True}):
        got = torch.load(tmp_path / "m.pt", mmap=True)
    assert got["b"].tolist() == list(range(3, 12)) and got["d"].sum().item() == 70


def test_zip64_records_are_read_by_torch_and_zipfile(tmp_path, monkeypatch):
    monkeypatch.setattr(Z, "ZIP64_LIMIT", 0)  # every size and offset takes the ZIP64 path
    x = ember.arange(6.0).view(2, 3)
    S.save({"x": x, "t": x.t(), "e": ember.ones(0)}, tmp_path / "z.pt")
    assert zipfile.ZipFile(tmp_path / "z.pt").testzip() is None
    for got in (torch.load(tmp_path / "z.pt"), torch.load(tmp_path / "z.pt", mmap=True)):
        assert got["t"].tolist() == [[0, 3], [1, 4], [2, 5]]
    assert S.load(tmp_path / "z.pt", mmap=True)["t"].tolist() == [[0, 3], [1, 4], [2, 5]]


def test_big_endian_records_are_swapped():
    src = zipfile.ZipFile(io.BytesIO(_saved({"f": ember.tensor([1.5, -2.0]),
                                             "i": ember.tensor([1, 256], dtype=ember.int32)})))
    buf = io.BytesIO()
    w = Z.ZipWriter(buf, "archive")
    for info in src.infolist():
        name, data = info.filename.split("/", 1)[1], src.read(info)
        if name == "byteorder":
            data = b"big"
        elif name.startswith("data/"):
            data = np.frombuffer(data, np.uint32).byteswap().tobytes()
        w.write_record(name, data)
    w.close()
    for got in (S.load(io.BytesIO(buf.getvalue())), torch.load(io.BytesIO(buf.getvalue()))):
        assert got["f"].tolist() == [1.5, -2.0] and got["i"].tolist() == [1, 256]


# ------------------------------------------------------------------ map_location, meta, mmap
def test_map_location_forms(tmp_path):
    x = ember.arange(4.0)
    raw = _saved({"x": x, "v": x[1:]})
    for loc in ("cpu", b"cpu", ember.device("cpu"), {"cpu": "cpu"}, None):
        got = S.load(io.BytesIO(raw), map_location=loc)
        assert got["v"].tolist() == [1.0, 2.0, 3.0] and got["x"].device.type == "cpu"
    seen = []

    def keep(storage, location):
        seen.append((location, storage.nbytes()))
        return storage

    got = S.load(io.BytesIO(raw), map_location=keep)
    assert seen == [("cpu", 16)] and got["v"].untyped_storage() == got["x"].untyped_storage()
    got = S.load(io.BytesIO(raw), map_location=lambda s, loc: None)  # None: default placement
    assert got["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    got = S.load(io.BytesIO(raw), map_location=lambda s, loc: s.cpu())
    assert got["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="tagged with mps"):
        S.load(io.BytesIO(raw), map_location={"cpu": "mps"})


def test_map_location_meta_and_meta_tensors():
    got = S.load(io.BytesIO(_saved({"x": ember.ones(2, 3)})), map_location="meta")
    assert got["x"].device.type == "meta" and tuple(got["x"].shape) == (2, 3)
    got = S.load(io.BytesIO(_saved({"x": ember.ones(2)})), map_location=torch_like_meta())
    assert got["x"].is_meta
    m = ember.empty(3, 4, device="meta", dtype=ember.float16)
    t = _ember_to_torch(m)
    assert t.is_meta and t.shape == (3, 4) and t.dtype == torch.float16
    back = _torch_to_ember(torch.empty(5, device="meta"))
    assert back.is_meta and tuple(back.shape) == (5,)


def torch_like_meta() -> object:
    return ember.device("meta")


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_location_without_cuda_says_how_to_fix():
    raw = _saved(ember.ones(2))
    with pytest.raises(RuntimeError, match="map_location=ember.device\\('cpu'\\)"):
        S.load(io.BytesIO(raw), map_location="cuda:0")
    with pytest.raises(RuntimeError, match="is_available\\(\\) is False"):
        S.load(io.BytesIO(raw), map_location={"cpu": "cuda:1"})


def test_mmap_copy_on_write_and_shared(tmp_path):
    p = tmp_path / "w.pt"
    x = ember.arange(6.0)
    S.save({"x": x, "v": x[2:]}, p)
    got = S.load(p, mmap=True)
    assert got["v"].tolist() == [2.0, 3.0, 4.0, 5.0]
    assert isinstance(got["x"]._get_storage().root.base, np.ndarray)  # backed by the file map
    got["x"].add_(10.0)  # copy-on-write: visible through views, not written to the file
    assert got["v"].tolist() == [12.0, 13.0, 14.0, 15.0]
    assert S.load(p)["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert S.get_default_mmap_options() == S.MAP_PRIVATE
    with S.set_default_mmap_options(S.MAP_SHARED):
        shared = S.load(p, mmap=True)
        shared["v"].fill_(7.0)
        del shared
    assert S.get_default_mmap_options() == S.MAP_PRIVATE
    assert S.load(p)["x"].tolist() == [0.0, 1.0, 7.0, 7.0, 7.0, 7.0]
    assert torch.load(p)["x"].tolist() == [0.0, 1.0, 7.0, 7.0, 7.0, 7.0]
    torch.save({"t": torch.arange(3.0)}, tmp_path / "t.pt")
    assert S.load(tmp_path / "t.pt", mmap=True)["t"].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="must be a file path"):
        S.load(io.BytesIO(_saved(x)), mmap=True)
    with pytest.raises(ValueError, match="MAP_PRIVATE or mmap.MAP_SHARED"):
        S.set_default_mmap_options(12345)


# ------------------------------------------------------------------ atomic save
@pytest.mark.parametrize("crash", [OSError("disk full (simulated)"), KeyboardInterrupt()])
def test_crash_mid_write_leaves_old_file_whole(tmp_path, monkeypatch, crash):
    p = tmp_path / "ck.pt"
    S.save({"w": ember.ones(3)}, p)
    before = p.read_bytes()
    orig = Z.ZipWriter.write_record
    partial = []

    def crashing(self, name, data):
        if name.startswith("data/"):
            assert len(os.listdir(tmp_path)) == 2  # the old file and the temporary one
            partial.append(self._pos)  # data.pkl and the small records are written
            raise crash
        return orig(self, name, data)

    monkeypatch.setattr(Z.ZipWriter, "write_record", crashing)
    with pytest.raises(type(crash)):
        S.save({"w": ember.zeros(1000)}, p)
    assert partial and partial[0] > 0
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.pt"]  # the temporary file is gone
    monkeypatch.undo()
    assert S.load(p)["w"].tolist() == [1.0, 1.0, 1.0]


def test_atomic_save_syncs_keeps_mode_and_follows_symlinks(tmp_path, monkeypatch):
    p = tmp_path / "m.pt"
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    S.save(ember.ones(1), p)
    assert synced
    if sys.platform != "win32":
        ref = tmp_path / "ref"
        ref.write_bytes(b"")
        assert p.stat().st_mode & 0o777 == ref.stat().st_mode & 0o777  # umask applies
        p.chmod(0o640)
        S.save(ember.zeros(1), p)
        assert p.stat().st_mode & 0o777 == 0o640 and S.load(p).tolist() == [0.0]
        link = tmp_path / "link.pt"
        link.symlink_to(p)
        S.save(ember.full((1,), 3.0), link)
        assert link.is_symlink() and S.load(p).tolist() == [3.0]


def test_whole_modules_with_weights_only_false_and_ember_names():
    net = _ENet()
    raw = _saved(net)
    names = S.get_unsafe_globals_in_checkpoint(io.BytesIO(raw))
    assert f"{__name__}._ENet" in names
    with pytest.raises(pickle.UnpicklingError, match="_ENet"):
        S.load(io.BytesIO(raw))
    got = S.load(io.BytesIO(raw), weights_only=False)
    assert type(got) is _ENet and type(got.sub) is _ESub
    assert got.sub.scale.tolist() == [1.5, -2.0] and got.steps.item() == 7
    assert list(got.state_dict()) == list(net.state_dict())
    # ember classes are written under torch's names and allow-listed under ember's
    raw = _saved({"mod": ember.nn.Module()})
    assert "torch.nn.modules.module.Module" in S.get_unsafe_globals_in_checkpoint(
        io.BytesIO(raw))
    assert type(S.load(io.BytesIO(raw), weights_only=False)["mod"]) is ember.nn.Module


def test_pickle_protocol_4_and_custom_pickle_module():
    obj = {"x": ember.arange(3.0), "s": "text", "dt": ember.float64}
    raw = _saved(obj, pickle_protocol=4)
    got = S.load(io.BytesIO(raw))
    assert got["x"].tolist() == [0.0, 1.0, 2.0] and got["dt"] is ember.float64
    assert torch.load(io.BytesIO(raw), weights_only=False)["dt"] is torch.float64
    got = S.load(io.BytesIO(_saved(obj, pickle_module=pickle)), pickle_module=pickle)
    assert got["s"] == "text"
