"""ember.load(weights_only=True) refuses malicious pickles; safe globals; full pickle."""

from __future__ import annotations

import io
import os
import pathlib
import pickle
import subprocess
import zipfile

import numpy as np
import pytest
import torch

import ember
import ember._zip_archive as Z
import ember.nn
import ember.serialization as S
from tests.test_serialization import _saved, _torch_to_ember


class _Evil:
    """Pickles as a call of `fn(*args)`: what a malicious checkpoint contains."""

    def __init__(self, fn: object, args: tuple) -> None:
        self.fn, self.args = fn, args

    def __reduce__(self) -> tuple:
        return (self.fn, self.args)


def _archive(data_pkl: bytes) -> bytes:
    buf = io.BytesIO()
    S._write_archive(buf, "archive", data_pkl, [])
    return buf.getvalue()


def _str(s: str) -> bytes:
    b = s.encode()
    return b"X" + len(b).to_bytes(4, "little") + b


def _payloads(sentinel: pathlib.Path) -> list:
    touch = f"touch {sentinel}"
    code = f"open({str(sentinel)!r}, 'w').close()"
    sysname = f"{os.system.__module__}.system"
    return [
        ("os.system", pickle.dumps(_Evil(os.system, (touch,)), protocol=2), sysname),
        ("eval", pickle.dumps(_Evil(eval, (code,)), protocol=2), "eval"),
        ("exec", pickle.dumps(_Evil(exec, (code,)), protocol=2), "exec"),
        ("subprocess", pickle.dumps(_Evil(subprocess.call, (["touch", str(sentinel)],)),
                                    protocol=2), "subprocess.call"),
        ("in a state dict", None, sysname),
        ("GLOBAL opcode", b"\x80\x02cos\nsystem\n" + _str(touch) + b"\x85R.", "os.system"),
        ("getattr chain", b"\x80\x02c__builtin__\ngetattr\nc__builtin__\n__import__\n"
         + _str("os") + b"\x85R" + _str("system") + b"\x86R" + _str(touch) + b"\x85R.",
         "getattr"),
        ("STACK_GLOBAL", pickle.dumps(_Evil(os.system, (touch,)), protocol=4), sysname),
        ("INST opcode", f"(S'{touch}'\nios\nsystem\n.".encode(), "Unsupported operand"),
        ("OBJ opcode", b"\x80\x02(cos\nsystem\n" + _str(touch) + b"o.", "os.system"),
        ("EXT1 opcode", b"\x80\x02\x82\x01.", "Unsupported operand"),
        ("numpy reconstruct", b"\x80\x02cnumpy.core.multiarray\n_reconstruct\n)R.",
         "numpy.core.multiarray._reconstruct"),
        ("persistent id", b"\x80\x02" + _str("evil") + b"\x85Q.", "persistent_load"),
        ("BUILD on a global", b"\x80\x02ctorch\nfloat32\n}" + _str("name") + _str("evil")
         + b"sb.", "BUILD"),
        ("call a non-callable", b"\x80\x02ctorch\nfloat32\n)R.", "unrecognized function"),
    ]


@pytest.mark.filterwarnings("ignore:Detected pickle protocol 4")  # torch, on the STACK_GLOBAL case
@pytest.mark.parametrize("case", range(15))
def test_malicious_pickles_raise_and_never_run(tmp_path, case):
    sentinel = tmp_path / "pwned"
    label, payload, refused = _payloads(sentinel)[case]
    if payload is None:
        buf = io.BytesIO()
        S.save({"w": ember.ones(2), "x": _Evil(os.system, (f"touch {sentinel}",))}, buf)
        raw = buf.getvalue()
    else:
        raw = _archive(payload)
    with pytest.raises(pickle.UnpicklingError) as info:
        S.load(io.BytesIO(raw))
    assert refused in str(info.value), (label, str(info.value))
    assert "Weights only load failed" in str(info.value)
    with pytest.raises((pickle.UnpicklingError, TypeError)):  # torch refuses them too
        torch.load(io.BytesIO(raw))
    assert not sentinel.exists(), label
    assert ember.float32.name == "float32"


def test_mutated_pickles_fail_cleanly():
    """Random byte flips in data.pkl: loading either works or raises a clean error."""
    src = zipfile.ZipFile(io.BytesIO(_saved({"a": ember.arange(6.0).view(2, 3), "b": [1, 2.5, "x"],
                                             "p": ember.nn.Parameter(ember.ones(2)),
                                             "dt": ember.float16})))
    recs = {i.filename.split("/", 1)[1]: src.read(i) for i in src.infolist()}
    rng = np.random.default_rng(0)
    for _ in range(300):
        pkl = bytearray(recs["data.pkl"])
        for i in rng.integers(0, len(pkl), rng.integers(1, 4)):
            pkl[i] = int(rng.integers(0, 256))
        buf = io.BytesIO()
        w = Z.ZipWriter(buf, "archive")
        for name, data in recs.items():
            w.write_record(name, bytes(pkl) if name == "data.pkl" else data)
        w.close()
        try:
            S.load(io.BytesIO(buf.getvalue()))
        except (pickle.UnpicklingError, RuntimeError, TypeError, EOFError):
            pass


class _Box:
    """A user class pickled by value (BUILD sets its __dict__)."""

    def __init__(self, t: object) -> None:
        self.t = t


def test_safe_globals_allow_listing():
    raw = _saved({"cfg": _Box(5), "w": ember.ones(1)})
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {__name__}._Box was not an "
                                                      "allowed global"):
        S.load(io.BytesIO(raw))
    assert S.get_unsafe_globals_in_checkpoint(io.BytesIO(raw)) == [f"{__name__}._Box"]
    with S.safe_globals([_Box]):
        assert S.get_unsafe_globals_in_checkpoint(io.BytesIO(raw)) == []
        got = S.load(io.BytesIO(raw))
    assert type(got["cfg"]) is _Box and got["cfg"].t == 5
    assert S.get_safe_globals() == []
    S.add_safe_globals([(_Box, f"{__name__}._Box")])
    try:
        assert S.load(io.BytesIO(raw))["w"].tolist() == [1.0]
    finally:
        S.clear_safe_globals()
    assert S.get_safe_globals() == []


def test_user_classes_need_allow_list_or_weights_only_false():
    raw = _saved(_Box(ember.arange(3)))
    with pytest.raises(pickle.UnpicklingError, match="_Box"):
        S.load(io.BytesIO(raw))
    with S.safe_globals([_Box]):
        assert S.load(io.BytesIO(raw)).t.tolist() == [0, 1, 2]
    assert S.load(io.BytesIO(raw), weights_only=False).t.tolist() == [0, 1, 2]
    got = _torch_to_ember(_Box(torch.arange(2)), weights_only=False)  # full pickle: torch names
    assert isinstance(got.t, ember.Tensor) and got.t.tolist() == [0, 1]
    back = torch.load(io.BytesIO(raw), weights_only=False)
    assert isinstance(back.t, torch.Tensor) and back.t.tolist() == [0, 1, 2]
