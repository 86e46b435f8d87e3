"""The zip container of PyTorch's checkpoint format, written and read without torch.

What torch's writer (miniz in PyTorchFileWriter) produces, and what this module writes too:
every record is *stored* (no compression) under `<archive>/<name>`; its data starts at a
multiple of 64 bytes from the archive's start, padded with an extra field `FB<len>ZZZ...`
in the local header; local headers carry zero sizes and a data descriptor follows each
non-empty record (flag bit 3), so the writer never seeks and can stream to pipes; ZIP64
fields appear for records or offsets past 4 GiB, and a ZIP64 end record is always written.
torch's `calculate_storage_offsets` (mmap without reading headers) relies on this layout.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import zipfile

ZIP64_LIMIT = 0xFFFFFFFF  # records and offsets from this size on get ZIP64 fields (tests lower it)
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest valid DOS date
_FLAGS = 0x0808  # bit 3: sizes in a data descriptor; bit 11: UTF-8 names


def _as_bytes(data: Any) -> memoryview:
    """A flat byte view of `data` (bytes, str, or a C-contiguous NumPy array), no copy."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if isinstance(data, np.ndarray):
        if not data.flags.c_contiguous:
            data = np.ascontiguousarray(data)
        return memoryview(data.reshape(-1).view(np.uint8))
    return memoryview(data).cast("B")


class ZipWriter:
    """Writes records sequentially to a binary stream in torch's aligned zip layout."""

    def __init__(self, stream: Any, archive_name: str, alignment: int = 64) -> None:
        self._f = stream
        self._pos = 0
        self._prefix = archive_name + "/"
        self._align = alignment
        self._entries: list[tuple[bytes, int, int, int]] = []
        self._names: set[str] = set()

    def _write(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        n = len(view)
        done = 0
        while done < n:  # raw (unbuffered) streams may write less than asked
            w = self._f.write(view[done:] if done else view)
            done += n - done if w is None else w
        self._pos += n

    def write_record(self, name: str, data: Any) -> None:
        """Add `<archive>/<name>` holding `data`'s bytes, its first byte aligned."""
        if name in self._names:
            raise RuntimeError(f"ember.save: duplicate zip record {name!r}")
        self._names.add(name)
        payload = _as_bytes(data)
        size = len(payload)
        fname = (self._prefix + name).encode("utf-8")
        offset = self._pos
        big_size, big_off = size >= ZIP64_LIMIT, offset >= ZIP64_LIMIT
        z64 = b""
        if big_size or big_off:
            fields = (struct.pack("<QQ", size, size) if big_size else b"") + \
                (struct.pack("<Q", offset) if big_off else b"")
            z64 = struct.pack("<HH", 1, len(fields)) + fields
        start = offset + _LOCAL.size + len(fname) + len(z64) + 4  # +4: the FB field's header
        pad = -start % self._align
        extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        lsize = 0xFFFFFFFF if big_size else 0
        flags = _FLAGS if size else _FLAGS & ~0x0008  # as miniz: no descriptor when empty
        self._write(_LOCAL.pack(0x04034B50, 45 if z64 else 20, flags, 0, 0, _DOS_DATE, 0,
                                lsize, lsize, len(fname), len(extra)))
        self._write(fname)
        self._write(extra)
        crc = zlib.crc32(payload) & 0xFFFFFFFF
        self._write(payload)
        if size and (big_size or big_off):
            self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
        elif size:
            self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self._entries.append((fname, offset, crc, size))

    def close(self) -> None:
        """Write the central directory and the (ZIP64) end records."""
        cd_start = self._pos
        for fname, offset, crc, size in self._entries:
            big_size, big_off = size >= ZIP64_LIMIT, offset >= ZIP64_LIMIT
            fields = (struct.pack("<QQ", size, size) if big_size else b"") + \
                (struct.pack("<Q", offset) if big_off else b"")
            extra = struct.pack("<HH", 1, len(fields)) + fields if fields else b""
            s32 = 0xFFFFFFFF if big_size else size
            flags = _FLAGS if size else _FLAGS & ~0x0008
            self._write(_CENTRAL.pack(0x02014B50, 45, 45 if extra else 20, flags, 0, 0,
                                      _DOS_DATE, crc, s32, s32, len(fname), len(extra), 0, 0,
                                      0, 0, 0xFFFFFFFF if big_off else offset))
            self._write(fname)
            self._write(extra)
        n = len(self._entries)
        cd_size = self._pos - cd_start
        z64_end = self._pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size,
                                cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, z64_end, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF),
                                min(n, 0xFFFF), min(cd_size, 0xFFFFFFFF),
                                min(cd_start, 0xFFFFFFFF), 0))
        flush = getattr(self._f, "flush", None)
        if flush is not None:
            flush()


def is_zip(f: Any) -> bool:
    """Whether the seekable stream `f` starts a zip archive at its current position."""
    start = f.tell()
    magic = f.read(4)
    f.seek(start)
    return magic == b"PK\x03\x04"


class ZipReader:
    """Reads the records of a torch checkpoint archive (any archive name, any writer)."""

    def __init__(self, stream: Any) -> None:
        import zipfile  # only loading needs it: keep `import ember` light

        self._f = stream
        try:
            self._zip = zipfile.ZipFile(stream)
        except zipfile.BadZipFile as e:
            raise RuntimeError(f"PytorchStreamReader failed reading zip archive: {e}") from None
        infos = self._zip.infolist()
        if not infos:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: no records")
        self.archive_name = infos[0].filename.split("/", 1)[0]
        self._prefix = self.archive_name + "/"

    def has_record(self, name: str) -> bool:
        return (self._prefix + name) in self._zip.NameToInfo

    def names(self) -> list[str]:
        """Record names relative to the archive folder."""
        p = len(self._prefix)
        return [i.filename[p:] for i in self._zip.infolist() if i.filename.startswith(self._prefix)]

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._zip.NameToInfo.get(self._prefix + name)
        if info is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        return info

    def get_record(self, name: str) -> bytes:
        """A small record's bytes (CRC-checked by zipfile)."""
        return self._zip.read(self._info(name))

    def record_offset(self, name: str) -> int:
        """Where `name`'s data starts in the stream (stored records only)."""
        info = self._info(name)
        if info.compress_type != 0:  # ZIP_STORED
            raise RuntimeError(f"record {name} is compressed: it cannot be memory-mapped")
        self._f.seek(info.header_offset)
        head = self._f.read(_LOCAL.size)
        if len(head) != _LOCAL.size or head[:4] != b"PK\x03\x04":
            raise RuntimeError(f"PytorchStreamReader: bad local header for record {name}")
        n, m = struct.unpack("<HH", head[26:30])
        return info.header_offset + _LOCAL.size + n + m

    def record_size(self, name: str) -> int:
        return self._info(name).file_size

    def read_into(self, name: str, out: np.ndarray) -> None:
        """Fill the contiguous array `out` with record `name`'s bytes (sizes are checked)."""
        info = self._info(name)
        buf = out.reshape(-1).view(np.uint8)
        if info.file_size != buf.nbytes:
            raise RuntimeError(f"record {name} holds {info.file_size} bytes, expected "
                               f"{buf.nbytes}: the checkpoint is corrupt")
        if info.compress_type != 0:  # deflated by some other tool
            buf[:] = np.frombuffer(self._zip.read(info), np.uint8)
            return
        self._f.seek(self.record_offset(name))
        # an ndarray is a buffer; numpy's stubs only say so (__buffer__) for Python >= 3.12
        view = memoryview(buf)  # type: ignore[arg-type]
        readinto = getattr(self._f, "readinto", None)
        got = 0
        while got < buf.nbytes:
            if readinto is not None:
                k = readinto(view[got:])
            else:
                chunk = self._f.read(buf.nbytes - got)
                k = len(chunk)
                view[got:got + k] = chunk
            if not k:
                raise RuntimeError(f"record {name} is truncated: the checkpoint is corrupt")
            got += k
        # No CRC check, as torch: files edited through mmap(MAP_SHARED) keep their old CRCs.

    def close(self) -> None:
        self._zip.close()
