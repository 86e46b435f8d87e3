"""ember.save / ember.load in PyTorch's checkpoint format, as torch.serialization.

A checkpoint is a zip archive (see ember/_zip_archive.py) with `<archive>/data.pkl`, a pickle
in which every tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, hooks)` and every storage a persistent id `('storage', torch.FloatStorage, key,
'cpu', numel)`; `<archive>/data/<key>` holds each storage's bytes once, so views that share
memory share one record and are still shared after loading. The pickle names torch's globals
(torch._utils..., torch.FloatStorage, torch.float32, torch.Size, collections.OrderedDict), so
real PyTorch loads Ember's files, and Ember maps those names back to its own objects. Other
`ember.*` globals (whole modules pickled with weights_only=False) are written as `torch.*`.

Differs from torch: `save` to a path is atomic (temporary file in the same directory, fsync,
os.replace) so a crash mid-write leaves the previous file whole; the legacy (pre-1.6,
non-zip) format is read (onto the CPU only) but not written; the pre-0.4 tar format is not
read; `mmap=True` maps the file copy-on-write (MAP_PRIVATE) or shared (MAP_SHARED through
set_default_mmap_options) with NumPy's memmap; record CRCs are written but not checked on
load (as torch: files edited through a shared mmap keep their old CRCs).

Safety: `load` defaults to weights_only=True: a restricted unpickler that calls no code
outside an allow-list. weights_only=False runs full pickle, which can execute arbitrary
code: use it only for files you trust.
"""

from __future__ import annotations

import io
import mmap as _mmap
import os
import pickle
import stat
import sys
import warnings
import zlib
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from . import _dtype as D
from ._checkpoint_pickler import _pickler_class, _Saver
from ._checkpoint_rebuild import (
    _full_unpickler,
    _is_meta_location,
    _LoadedStorage,
    _restore_fn,
    _StorageType,
    _text,
    _torch_globals,
    _translate,
    default_restore_location,
    location_tag,
)
from ._device import CPU, META
from ._storage import Storage
from ._tensor import Tensor
from ._weights_only_unpickler import Unpickler as _WeightsOnlyUnpickler
from ._weights_only_unpickler import (
    _add_safe_globals,
    _clear_safe_globals,
    _get_safe_globals,
    _get_user_allowed_globals,
    _safe_globals,
    globals_in_pickle,
)
from ._zip_archive import ZipReader, ZipWriter, is_zip
from .backends import for_device, to_numpy

__all__ = ["save", "load", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint", "get_default_mmap_options",
           "set_default_mmap_options", "default_restore_location", "location_tag",
           "DEFAULT_PROTOCOL", "MAP_PRIVATE", "MAP_SHARED"]

DEFAULT_PROTOCOL = 2
MAP_PRIVATE = getattr(_mmap, "MAP_PRIVATE", None)
MAP_SHARED = getattr(_mmap, "MAP_SHARED", None)
_mmap_flags: dict[str, Any] = {"flags": MAP_PRIVATE}

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, the default value of the `weights_only` argument in `torch.load` changed "
    "from `False` to `True`, and ember.load follows it. Re-running `ember.load` with "
    "`weights_only` set to `False` will likely succeed, but it can result in arbitrary code "
    "execution. Do it only if you got the file from a trusted source."
)

def _archive_name(path: str) -> str:
    """torch's archive folder name: the file's base name without its last extension."""
    base = os.path.basename(path)
    stem = base[:base.rfind(".")] if "." in base else base
    if not stem or not stem.isascii():
        return "archive"
    return stem


def _write_archive(stream: IO[bytes], archive: str, data_pkl: bytes, records: list,
                   byteorder: bool = True) -> None:
    w = ZipWriter(stream, archive)
    w.write_record("data.pkl", data_pkl)
    w.write_record(".format_version", "1")
    w.write_record(".storage_alignment", "64")
    if byteorder:
        w.write_record("byteorder", sys.byteorder)
    crc = 0
    for ref in records:
        host = to_numpy(ref.array).ravel(order="K")  # memory order: a view when contiguous
        w.write_record(f"data/{ref.pid[2]}", host)
        # an ndarray is a buffer; numpy's stubs only say so (__buffer__) for Python >= 3.12
        crc = zlib.crc32(host.view(np.uint8)[:64], crc)  # type: ignore[arg-type]
    w.write_record("version", "3\n")
    w.write_record(".data/serialization_id",
                   f"{int.from_bytes(os.urandom(8), 'little'):020d}{crc:020d}")
    w.close()


def _atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write through `write` into a temporary file next to `path`, fsync, then os.replace."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or folder} does not exist.")
    if os.path.isdir(target):
        raise RuntimeError(f"File {path} cannot be opened.")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".{os.path.basename(target)}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for open(path, 'wb')
            break
        except FileExistsError:
            continue
        except PermissionError as e:
            raise RuntimeError(f"File {path} cannot be opened.") from e
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))  # keep an old file's mode
            except FileNotFoundError:
                pass
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        try:
            dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass


def save(obj: object, f: Any, pickle_module: Any = None, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """torch.save: write `obj` to a path or binary file object in PyTorch's zip format.

    Differs from torch: a path is written atomically (see the module doc).
    """
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ember.save writes only PyTorch's zip format "
                                  "(_use_new_zipfile_serialization=True); the legacy format "
                                  "is not supported")
    pickler_cls = _pickler_class(pickle if pickle_module is None else pickle_module)
    saver = _Saver()
    buf = io.BytesIO()
    pickler_cls(buf, pickle_protocol, saver).dump(obj)
    data_pkl = buf.getvalue()

    def write(stream: IO[bytes], archive: str) -> None:
        _write_archive(stream, archive, data_pkl, saver.records, not _disable_byteorder_record)

    if isinstance(f, (str, os.PathLike)):
        path = os.fsdecode(os.fspath(f))
        _atomic_write(path, lambda fh: write(fh, _archive_name(path)))
        return
    if not callable(getattr(f, "write", None)):
        msg = f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'"
        raise AttributeError(msg) if not hasattr(f, "write") else TypeError(msg)
    write(f, "archive")


# ==================================================================== loading
def _wo_message(message: str) -> str:
    """torch's wording around a weights-only refusal."""
    docs = ("\n\nCheck the documentation of ember.load (torch.load) to learn more about types "
            "accepted by default with weights_only.")
    if "was not an allowed global by default" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, do those steps only if you trust the source of the checkpoint. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
                "`weights_only=True` please check the recommended steps in the following error "
                "message.\n\tWeightsUnpickler error: " + message + docs)
    return (f"Weights only load failed. {UNSAFE_MESSAGE}\nWeightsUnpickler error: \n\n"
            + message + docs)


def _load_zip(reader: ZipReader, map_location: Any, weights_only: bool, pickle_module: Any,
              mm: Any, pickle_load_args: dict) -> Any:
    order = reader.get_record("byteorder") if reader.has_record("byteorder") else b"little"
    if order not in (b"little", b"big"):
        raise ValueError("Unknown endianness type: " + order.decode("utf-8", "replace"))
    swap = order.decode() != sys.byteorder
    restore = _restore_fn(map_location)
    meta = _is_meta_location(map_location)
    loaded: dict[str, Any] = {}
    typed: dict[tuple, _LoadedStorage] = {}

    def load_storage(key: str, location: str, dt: D.dtype) -> _LoadedStorage:
        name = f"data/{key}"
        nbytes = reader.record_size(name)
        if meta:
            s = _LoadedStorage(Storage(for_device(META).ghost((nbytes,), np.uint8)), META)
            s.dtype = dt
            return s
        if mm is not None and not swap:
            off = reader.record_offset(name)
            root = mm[off:off + nbytes]
        else:
            root = np.empty(nbytes, np.uint8)
            reader.read_into(name, root)
            if swap and dt.itemsize > 1:
                n = nbytes // dt.itemsize * dt.itemsize
                root[:n].view(dt.np).byteswap(inplace=True)
        s = _LoadedStorage(Storage(root), CPU)
        s.dtype = dt
        out = restore(s, location)
        if not isinstance(out, _LoadedStorage):  # a storage the callable built itself
            moved = _LoadedStorage(out._storage, out.device)
            moved.dtype = dt
            out = moved
        return out

    def persistent_load(pid: Any) -> Any:
        if not isinstance(pid, tuple) or len(pid) < 5 or _text(pid[0]) != "storage":
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        stype, key, location = pid[1], _text(pid[2]), _text(pid[3])
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"persistent id names {stype!r}, not a storage type")
        dt = stype.dtype or D.uint8
        s = loaded.get(key)
        if s is None:
            s = loaded[key] = load_storage(key, location, dt)
        if s.dtype is dt:
            return s
        v = typed.get((key, dt))
        if v is None:
            v = typed[(key, dt)] = _LoadedStorage(s._storage, s.device)
            v.dtype = dt
        return v

    data = io.BytesIO(reader.get_record("data.pkl"))
    if weights_only:
        up: Any = _WeightsOnlyUnpickler(data, allowed=_torch_globals(), translate=_translate,
                                        persistent_load=persistent_load,
                                        encoding=pickle_load_args.get("encoding", "utf-8"),
                                        build_types=(Tensor,))
        return up.load()
    up = _full_unpickler(pickle_module)(data, **pickle_load_args)
    up._pl = persistent_load
    return up.load()


def _read_into(fh: Any, view: memoryview) -> int:
    got = 0
    while got < len(view):
        chunk = fh.read(len(view) - got)
        if not chunk:
            break
        view[got:got + len(chunk)] = chunk
        got += len(chunk)
    return got


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


def _load_legacy(fh: Any, map_location: Any, weights_only: bool, pickle_module: Any,
                 pickle_load_args: dict) -> Any:
    """torch's pre-1.6 format: five pickles (magic, protocol, sys info, the object, the
    storage keys), then each storage as an int64 element count and its little-endian bytes.

    Storages are filled after the object is unpickled, so they load on the CPU only.
    """
    encoding = pickle_load_args.get("encoding", "utf-8")
    table = _torch_globals()
    loaded: dict[str, Any] = {}
    restore = _restore_fn(map_location)

    def unpickler(pl: Any = None) -> Any:
        if weights_only:
            return _WeightsOnlyUnpickler(fh, allowed=table, translate=_translate,
                                         persistent_load=pl, encoding=encoding,
                                         build_types=(Tensor,))
        up = _full_unpickler(pickle_module)(fh, **pickle_load_args)
        up._pl = pl or (lambda pid: None)
        return up

    def persistent_load(pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        kind = _text(pid[0])
        if kind == "module" and not weights_only:
            return pid[1]  # a module class, recorded with its source (not checked here)
        if kind != "storage" or len(pid) != 6 or not isinstance(pid[1], _StorageType):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        stype, key, location, numel, view = pid[1], _text(pid[2]), _text(pid[3]), pid[4], pid[5]
        dt = stype.dtype or D.uint8
        if key not in loaded:
            s = _LoadedStorage(Storage(np.empty(int(numel) * dt.itemsize, np.uint8)), CPU)
            s.dtype = dt
            out = restore(s, location)
            if out is not s:
                raise NotImplementedError("ember loads legacy-format checkpoints on the CPU "
                                          "only: use map_location='cpu'")
            loaded[key] = s
        s = loaded[key]
        if view is None:
            return s
        vkey, offset, size = view
        if vkey not in loaded:
            root = s._storage.root
            off = int(offset) * dt.itemsize
            v = _LoadedStorage(Storage(root[off:off + int(size) * dt.itemsize]), CPU)
            v.dtype = dt
            loaded[vkey] = v
        return loaded[vkey]

    if unpickler().load() != _LEGACY_MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = unpickler().load()
    if version != _LEGACY_PROTOCOL:
        raise RuntimeError(f"Invalid protocol version: {version}")
    unpickler().load()  # sys info: sizes of C types, byte order (data are little-endian)
    result = unpickler(persistent_load).load()
    for key in unpickler().load():
        s = loaded[_text(key)]
        root = s._storage.root
        head = fh.read(8)
        n = int.from_bytes(head, "little") * s.dtype.itemsize if len(head) == 8 else -1
        if n != root.nbytes or _read_into(fh, memoryview(root)) != n:
            raise RuntimeError(f"storage {key} is truncated or has the wrong size: the "
                               "checkpoint is corrupt")
        if sys.byteorder == "big" and s.dtype.itemsize > 1:
            root.view(s.dtype.np).byteswap(inplace=True)
    return result


def _open_for_read(f: Any) -> tuple[Any, bool]:
    if isinstance(f, (str, os.PathLike)):
        return open(f, "rb"), True  # noqa: SIM115 - closed by load
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError, OSError) as e:
        raise type(e)(f"{e}. You can only ember.load from a file that is seekable. Please "
                      "pre-load the data into a buffer like io.BytesIO and try to load from it "
                      "instead.") from None
    return f, False


def load(f: Any, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """torch.load: read a checkpoint written by ember.save or torch.save.

    weights_only (the default unless pickle_module is given) loads only tensors, storages,
    plain containers and allow-listed globals; weights_only=False runs full pickle (unsafe
    with untrusted files). Differs from torch: legacy (pre-1.6) files load on the CPU only.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")
    elif pickle_module is None:
        pickle_module = pickle
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    pickle_load_args.setdefault("encoding", "utf-8")
    mmap = bool(mmap)
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    fh, owned = _open_for_read(f)
    try:
        if not is_zip(fh):
            if mmap:
                raise RuntimeError("mmap can only be used with files saved with `torch.save("
                                   "_use_new_zipfile_serialization=True)`, please torch.save "
                                   "your checkpoint with this option in order to use mmap.")
            start = fh.tell()
            if fh.read(1) != pickle.PROTO:
                raise RuntimeError("ember.load: this file is neither a zip checkpoint nor a "
                                   "legacy (pre-1.6) torch checkpoint")
            fh.seek(start)
            try:
                return _load_legacy(fh, map_location, weights_only, pickle_module,
                                    pickle_load_args)
            except pickle.UnpicklingError as e:
                if weights_only:
                    raise pickle.UnpicklingError(_wo_message(str(e))) from None
                raise
            except EOFError:
                raise RuntimeError("ember.load: this file is neither a zip checkpoint nor a "
                                   "legacy (pre-1.6) torch checkpoint") from None
        reader = ZipReader(fh)
        if reader.has_record("constants.pkl"):
            raise RuntimeError("ember cannot load TorchScript archives (torch.jit.save)")
        mm: np.ndarray | None = None
        if mmap:
            shared = _mmap_flags["flags"] == MAP_SHARED and MAP_SHARED is not None
            mm = np.memmap(os.fspath(f), dtype=np.uint8, mode="r+" if shared else "c")
            mm = mm.view(np.ndarray)
        try:
            return _load_zip(reader, map_location, weights_only, pickle_module, mm,
                             pickle_load_args)
        except pickle.UnpicklingError as e:
            if weights_only:
                raise pickle.UnpicklingError(_wo_message(str(e))) from None
            raise
    finally:
        if owned:
            fh.close()


# ==================================================================== safe globals
def add_safe_globals(safe_globals: list) -> None:
    """Allow-list globals (objects, or (object, 'module.name') pairs) for weights_only loads."""
    _add_safe_globals(safe_globals)


def clear_safe_globals() -> None:
    """Forget every global added with add_safe_globals."""
    _clear_safe_globals()


def get_safe_globals() -> list:
    """The globals added with add_safe_globals."""
    return _get_safe_globals()


class safe_globals(_safe_globals):
    """Context manager: allow-list globals for weights_only loads inside the block."""


def get_unsafe_globals_in_checkpoint(f: Any) -> list[str]:
    """The globals a checkpoint names that weights_only loading would refuse (nothing runs)."""
    fh, owned = _open_for_read(f)
    try:
        if not is_zip(fh):
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        names = globals_in_pickle(ZipReader(fh).get_record("data.pkl"))
    finally:
        if owned:
            fh.close()
    table, user = _torch_globals(), _get_user_allowed_globals()

    def allowed(n: str) -> bool:
        module, _, name = n.rpartition(".")
        return n in table or any(c in user for c in [n] + _translate(module, name))

    return [n for n in names if not allowed(n)]


def get_default_mmap_options() -> int | None:
    """The mmap flags ember.load(mmap=True) uses: mmap.MAP_PRIVATE (default) or MAP_SHARED."""
    return _mmap_flags["flags"]


class set_default_mmap_options:
    """Set the mmap flags for ember.load(mmap=True); also a context manager restoring them."""

    def __init__(self, flags: int) -> None:
        if flags not in (MAP_PRIVATE, MAP_SHARED) or flags is None:
            raise ValueError("Invalid argument in function set_default_mmap_options, expected "
                             f"mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got {flags}")
        self.prev = _mmap_flags["flags"]
        _mmap_flags["flags"] = flags

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _mmap_flags["flags"] = self.prev

