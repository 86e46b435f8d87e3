"""A restricted unpickler for `ember.load(weights_only=True)`, as torch._weights_only_unpickler.

It interprets pickle opcodes itself and never imports anything: GLOBAL resolves only names in
an allow-list (tensor rebuild functions, storage types, dtypes, OrderedDict, ...) plus the
user's `add_safe_globals`; REDUCE calls only allow-listed callables; BUILD sets state only on
OrderedDict, tensors and allow-listed classes' instances (never on a global object itself);
APPEND/SETITEM/ADDITEMS only target list/dict/set; persistent ids must name storages; EXT*,
INST, OBJ and out-of-band buffers are refused. Anything else raises pickle.UnpicklingError
naming what was refused. Pickle protocols 0-5 are read (torch's reader: protocol 2 opcodes).
"""

from __future__ import annotations

import _compat_pickle
import codecs
import pickle
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from struct import unpack
from typing import Any

UnpicklingError = pickle.UnpicklingError

# Modules never loaded, even when the user allow-lists something from them.
_blocklisted_modules = ("sys", "os", "posix", "nt", "subprocess")

_marked_safe_globals_set: set = set()


def _add_safe_globals(safe_globals: Iterable) -> None:
    global _marked_safe_globals_set
    _marked_safe_globals_set = _marked_safe_globals_set.union(set(safe_globals))


def _get_safe_globals() -> list:
    return list(_marked_safe_globals_set)


def _clear_safe_globals() -> None:
    global _marked_safe_globals_set
    _marked_safe_globals_set = set()


def _remove_safe_globals(safe_globals: Iterable) -> None:
    global _marked_safe_globals_set
    _marked_safe_globals_set = _marked_safe_globals_set - set(safe_globals)


class _safe_globals:
    """Context manager: allow-list these globals for loads inside the block."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        _add_safe_globals(self.safe_globals)

    def __exit__(self, *exc: Any) -> None:
        _remove_safe_globals(self.safe_globals)


def _get_user_allowed_globals() -> dict[str, Any]:
    """'module.qualname' -> object for every user allow-listed global."""
    rc: dict[str, Any] = {}
    for f in _marked_safe_globals_set:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(f[1])}")
            rc[f[1]] = f[0]
        else:
            rc[f"{f.__module__}.{f.__qualname__}"] = f
    return rc


def _display_path(full_path: str) -> str:
    """torch's spelling of a refused global: builtins.eval is shown as eval."""
    if full_path.startswith("builtins."):
        return full_path[len("builtins."):]
    return full_path


def unsupported_global_message(full_path: str) -> str:
    p = _display_path(full_path)
    return (f"Unsupported global: GLOBAL {p} was not an allowed global by default. Please use "
            f"`ember.serialization.add_safe_globals([{p}])` or the "
            f"`ember.serialization.safe_globals([{p}])` context manager to allowlist this "
            "global if you trust this class/function.")


_DICT_TYPES = (dict, OrderedDict, Counter)


class Unpickler:
    """Loads one pickle from `file` with only allow-listed globals (see the module doc)."""

    stack: list  # set by load()
    metastack: list

    def __init__(self, file: Any, *, allowed: dict[str, Any],
                 translate: Callable[[str, str], list[str]] | None = None,
                 persistent_load: Callable[[Any], Any] | None = None,
                 encoding: str = "utf-8", build_types: tuple = ()) -> None:
        self.read = file.read
        self.readline = file.readline
        self.encoding = encoding
        self.allowed = allowed
        self.user = _get_user_allowed_globals()
        self.translate = translate
        self._persistent_load = persistent_load
        self.build_types = build_types
        self.memo: dict[int, Any] = {}
        self.proto = 0
        values = list(allowed.values()) + list(self.user.values())
        self._global_ids = {id(v) for v in values}
        self._callable_ids = {id(v) for v in values if callable(v)}
        self._classes = tuple({v for v in values if isinstance(v, type)})

    # ------------------------------------------------------------------ helpers
    def _read(self, n: int) -> bytes:
        data = self.read(n)
        if len(data) != n:
            raise UnpicklingError("pickle data was truncated")
        return data

    def _line(self) -> bytes:
        line = self.readline()
        if not line.endswith(b"\n"):
            raise UnpicklingError("pickle data was truncated")
        return line[:-1]

    def _pop_mark(self) -> list:
        if not self.metastack:
            raise UnpicklingError("could not find MARK")
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _find_global(self, module: str, name: str) -> Any:
        if self.proto < 3:  # python 2 names, as pickle's fix_imports
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        full = f"{module}.{name}"
        if module.split(".")[0] in _blocklisted_modules:
            raise UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module "
                                  f"{module} is blocked.")
        if full in self.allowed:
            found = self.allowed[full]
            if type(found) is NotSupported:
                raise NotImplementedError(found.message)
            return found
        for candidate in [full] + (self.translate(module, name) if self.translate else []):
            if candidate in self.user:
                return self.user[candidate]
        raise UnpicklingError(unsupported_global_message(full))

    def _need(self, n: int) -> None:
        if len(self.stack) < n:
            raise UnpicklingError("unpickling stack underflow")

    def _check_callable(self, func: Any, what: str) -> None:
        if id(func) not in self._callable_ids:
            raise UnpicklingError(f"Trying to call {what} for unrecognized function {func!r}")

    # ------------------------------------------------------------------ main loop
    def load(self) -> Any:
        """Read one pickle and return the object it describes."""
        self.stack = []
        self.metastack = []
        dispatch = self._dispatch
        read = self.read
        while True:
            key = read(1)
            if not key:
                raise EOFError
            op = dispatch.get(key[0])
            if op is None:
                raise UnpicklingError(f"Unsupported operand {key[0]} ({key!r}) in the pickle")
            if op is Unpickler._stop:
                if not self.stack:
                    raise UnpicklingError("unpickling stack underflow")
                return self.stack.pop()
            try:
                op(self)
            except (IndexError, KeyError, TypeError, AttributeError, ValueError,
                    UnicodeDecodeError, OverflowError) as e:
                if isinstance(e, KeyError) and key[0] in _GET_OPS:
                    raise UnpicklingError(f"Memo value not found at index {e}") from None
                if op in _CALL_OPS:  # errors raised by an allowed callable are its own
                    raise
                raise UnpicklingError(f"corrupt pickle at opcode {key!r}: "
                                      f"{type(e).__name__}: {e}") from None

    def _stop(self) -> None:  # handled in load
        pass

    # ------------------------------------------------------------------ opcodes
    def _proto(self) -> None:
        self.proto = self._read(1)[0]
        if self.proto > pickle.HIGHEST_PROTOCOL:
            raise UnpicklingError(f"unsupported pickle protocol: {self.proto}")

    def _frame(self) -> None:
        self._read(8)  # frames only group opcodes; reading straight through is fine

    def _mark(self) -> None:
        self.metastack.append(self.stack)
        self.stack = []

    def _pop(self) -> None:
        if self.stack:
            self.stack.pop()
        else:
            self._pop_mark()

    def _pop_mark_op(self) -> None:
        self._pop_mark()

    def _dup(self) -> None:
        self.stack.append(self.stack[-1])

    def _none(self) -> None:
        self.stack.append(None)

    def _true(self) -> None:
        self.stack.append(True)

    def _false(self) -> None:
        self.stack.append(False)

    def _int(self) -> None:
        s = self._line()
        self.stack.append(False if s == b"00" else True if s == b"01" else int(s, 0))

    def _binint(self) -> None:
        self.stack.append(unpack("<i", self._read(4))[0])

    def _binint1(self) -> None:
        self.stack.append(self._read(1)[0])

    def _binint2(self) -> None:
        self.stack.append(unpack("<H", self._read(2))[0])

    def _long(self) -> None:
        s = self._line()
        self.stack.append(int(s[:-1] if s.endswith(b"L") else s, 0))

    def _long1(self) -> None:
        n = self._read(1)[0]
        self.stack.append(pickle.decode_long(self._read(n)))

    def _long4(self) -> None:
        n = unpack("<i", self._read(4))[0]
        if n < 0:
            raise UnpicklingError("LONG pickle has negative byte count")
        self.stack.append(pickle.decode_long(self._read(n)))

    def _float(self) -> None:
        self.stack.append(float(self._line()))

    def _binfloat(self) -> None:
        self.stack.append(unpack(">d", self._read(8))[0])

    def _py2str(self, data: bytes) -> Any:
        return data if self.encoding == "bytes" else data.decode(self.encoding, "strict")

    def _string(self) -> None:
        data = self._line()
        if len(data) >= 2 and data[0] == data[-1] and data[:1] in (b"'", b'"'):
            data = data[1:-1]
        else:
            raise UnpicklingError("the STRING opcode argument must be quoted")
        self.stack.append(self._py2str(codecs.escape_decode(data)[0]))

    def _binstring(self) -> None:
        n = unpack("<i", self._read(4))[0]
        if n < 0:
            raise UnpicklingError("BINSTRING pickle has negative byte count")
        self.stack.append(self._py2str(self._read(n)))

    def _short_binstring(self) -> None:
        self.stack.append(self._py2str(self._read(self._read(1)[0])))

    def _binbytes(self) -> None:
        self.stack.append(self._read(unpack("<I", self._read(4))[0]))

    def _short_binbytes(self) -> None:
        self.stack.append(self._read(self._read(1)[0]))

    def _binbytes8(self) -> None:
        self.stack.append(self._read(unpack("<Q", self._read(8))[0]))

    def _bytearray8(self) -> None:
        self.stack.append(bytearray(self._read(unpack("<Q", self._read(8))[0])))

    def _unicode(self) -> None:
        self.stack.append(str(self._line(), "raw-unicode-escape"))

    def _binunicode(self) -> None:
        self.stack.append(str(self._read(unpack("<I", self._read(4))[0]), "utf-8",
                              "surrogatepass"))

    def _short_binunicode(self) -> None:
        self.stack.append(str(self._read(self._read(1)[0]), "utf-8", "surrogatepass"))

    def _binunicode8(self) -> None:
        self.stack.append(str(self._read(unpack("<Q", self._read(8))[0]), "utf-8",
                              "surrogatepass"))

    def _empty_tuple(self) -> None:
        self.stack.append(())

    def _tuple(self) -> None:
        items = self._pop_mark()
        self.stack.append(tuple(items))

    def _tuple1(self) -> None:
        self.stack[-1] = (self.stack[-1],)

    def _tuple2(self) -> None:
        self.stack[-2:] = [(self.stack[-2], self.stack[-1])]

    def _tuple3(self) -> None:
        self.stack[-3:] = [(self.stack[-3], self.stack[-2], self.stack[-1])]

    def _empty_list(self) -> None:
        self.stack.append([])

    def _list(self) -> None:
        items = self._pop_mark()
        self.stack.append(items)

    def _empty_dict(self) -> None:
        self.stack.append({})

    def _dict(self) -> None:
        items = self._pop_mark()
        self.stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})

    def _empty_set(self) -> None:
        self.stack.append(set())

    def _frozenset(self) -> None:
        items = self._pop_mark()
        self.stack.append(frozenset(items))

    def _target(self, types: tuple, op: str) -> Any:
        obj = self.stack[-1]
        if type(obj) not in types:
            raise UnpicklingError(f"Can only {op} to {'/'.join(t.__name__ for t in types)}, "
                                  f"but got {type(obj)}")
        return obj

    def _append(self) -> None:
        item = self.stack.pop()
        self._target((list,), "APPEND").append(item)

    def _appends(self) -> None:
        items = self._pop_mark()
        self._target((list,), "APPENDS").extend(items)

    def _setitem(self) -> None:
        v = self.stack.pop()
        k = self.stack.pop()
        self._target(_DICT_TYPES, "SETITEM")[k] = v

    def _setitems(self) -> None:
        items = self._pop_mark()
        d = self._target(_DICT_TYPES, "SETITEMS")
        if len(items) % 2:
            raise UnpicklingError("odd number of items for SETITEMS")
        for i in range(0, len(items), 2):
            d[items[i]] = items[i + 1]

    def _additems(self) -> None:
        items = self._pop_mark()
        self._target((set,), "ADDITEMS").update(items)

    def _get(self) -> None:
        self.stack.append(self.memo[int(self._line())])

    def _binget(self) -> None:
        self.stack.append(self.memo[self._read(1)[0]])

    def _long_binget(self) -> None:
        self.stack.append(self.memo[unpack("<I", self._read(4))[0]])

    def _put(self) -> None:
        i = int(self._line())
        if i < 0:
            raise ValueError("negative PUT argument")
        self.memo[i] = self.stack[-1]

    def _binput(self) -> None:
        self.memo[self._read(1)[0]] = self.stack[-1]

    def _long_binput(self) -> None:
        self.memo[unpack("<I", self._read(4))[0]] = self.stack[-1]

    def _memoize(self) -> None:
        self.memo[len(self.memo)] = self.stack[-1]

    def _global(self) -> None:
        module = self._line().decode("utf-8")
        name = self._line().decode("utf-8")
        self.stack.append(self._find_global(module, name))

    def _stack_global(self) -> None:
        name = self.stack.pop()
        module = self.stack.pop()
        if type(name) is not str or type(module) is not str:
            raise UnpicklingError("STACK_GLOBAL requires str")
        self.stack.append(self._find_global(module, name))

    def _reduce(self) -> None:
        self._need(2)
        args = self.stack.pop()
        func = self.stack[-1]
        self._check_callable(func, "reduce")
        if type(args) is not tuple:
            raise UnpicklingError(f"REDUCE arguments must be a tuple, got {type(args)}")
        self.stack[-1] = func(*args)

    def _new(self, cls: Any, args: Any, kwargs: dict) -> Any:
        if not isinstance(cls, type) or id(cls) not in self._callable_ids:
            raise UnpicklingError("Can only create new object for classes allowlisted via "
                                  f"`add_safe_globals` but got {cls}")
        if type(args) is not tuple or type(kwargs) is not dict:
            raise UnpicklingError("NEWOBJ arguments must be a tuple and a dict")
        from .nn.parameter import Parameter

        if cls is Parameter:
            return Parameter(*args, **kwargs)
        return cls.__new__(cls, *args, **kwargs)

    def _newobj(self) -> None:
        self._need(2)
        args = self.stack.pop()
        self.stack[-1] = self._new(self.stack[-1], args, {})

    def _newobj_ex(self) -> None:
        self._need(3)
        kwargs = self.stack.pop()
        args = self.stack.pop()
        self.stack[-1] = self._new(self.stack[-1], args, kwargs)

    def _build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if id(inst) in self._global_ids or isinstance(inst, type):
            raise UnpicklingError(f"Can not BUILD (set the state of) {inst!r}")
        if type(inst) is OrderedDict or isinstance(inst, self.build_types):
            if type(state) is not dict:
                raise UnpicklingError(f"BUILD state for {type(inst).__name__} must be a dict, "
                                      f"got {type(state)}")
            inst.__dict__.update(state)
            return
        if type(inst) not in self._classes:
            raise UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types "
                                  f"allowlisted via `add_safe_globals`, but got {type(inst)}")
        setstate = getattr(inst, "__setstate__", None)
        if setstate is not None:
            setstate(state)
            return
        slotstate = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slotstate = state
        if state:
            inst.__dict__.update(state)
        if slotstate:
            for k, v in slotstate.items():
                setattr(inst, k, v)

    def _persid(self) -> None:
        self._load_persistent(self._line().decode("ascii"))

    def _binpersid(self) -> None:
        self._need(1)
        self._load_persistent(self.stack.pop())

    def _load_persistent(self, pid: Any) -> None:
        if type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):
            raise UnpicklingError(f"Only persistent_load of storage is allowed, but got {pid!r}")
        if self._persistent_load is None:
            raise UnpicklingError("unsupported persistent id encountered")
        self.stack.append(self._persistent_load(pid))

    _dispatch: dict[int, Callable] = {}


_OPS = {
    "PROTO": Unpickler._proto, "FRAME": Unpickler._frame, "STOP": Unpickler._stop,
    "MARK": Unpickler._mark, "POP": Unpickler._pop, "POP_MARK": Unpickler._pop_mark_op,
    "DUP": Unpickler._dup, "NONE": Unpickler._none, "NEWTRUE": Unpickler._true,
    "NEWFALSE": Unpickler._false, "INT": Unpickler._int, "BININT": Unpickler._binint,
    "BININT1": Unpickler._binint1, "BININT2": Unpickler._binint2, "LONG": Unpickler._long,
    "LONG1": Unpickler._long1, "LONG4": Unpickler._long4, "FLOAT": Unpickler._float,
    "BINFLOAT": Unpickler._binfloat, "STRING": Unpickler._string,
    "BINSTRING": Unpickler._binstring, "SHORT_BINSTRING": Unpickler._short_binstring,
    "BINBYTES": Unpickler._binbytes, "SHORT_BINBYTES": Unpickler._short_binbytes,
    "BINBYTES8": Unpickler._binbytes8, "BYTEARRAY8": Unpickler._bytearray8,
    "UNICODE": Unpickler._unicode, "BINUNICODE": Unpickler._binunicode,
    "SHORT_BINUNICODE": Unpickler._short_binunicode, "BINUNICODE8": Unpickler._binunicode8,
    "EMPTY_TUPLE": Unpickler._empty_tuple, "TUPLE": Unpickler._tuple,
    "TUPLE1": Unpickler._tuple1, "TUPLE2": Unpickler._tuple2, "TUPLE3": Unpickler._tuple3,
    "EMPTY_LIST": Unpickler._empty_list, "LIST": Unpickler._list,
    "EMPTY_DICT": Unpickler._empty_dict, "DICT": Unpickler._dict,
    "EMPTY_SET": Unpickler._empty_set, "FROZENSET": Unpickler._frozenset,
    "APPEND": Unpickler._append, "APPENDS": Unpickler._appends,
    "SETITEM": Unpickler._setitem, "SETITEMS": Unpickler._setitems,
    "ADDITEMS": Unpickler._additems, "GET": Unpickler._get, "BINGET": Unpickler._binget,
    "LONG_BINGET": Unpickler._long_binget, "PUT": Unpickler._put,
    "BINPUT": Unpickler._binput, "LONG_BINPUT": Unpickler._long_binput,
    "MEMOIZE": Unpickler._memoize, "GLOBAL": Unpickler._global,
    "STACK_GLOBAL": Unpickler._stack_global, "REDUCE": Unpickler._reduce,
    "NEWOBJ": Unpickler._newobj, "NEWOBJ_EX": Unpickler._newobj_ex,
    "BUILD": Unpickler._build, "PERSID": Unpickler._persid,
    "BINPERSID": Unpickler._binpersid,
}
Unpickler._dispatch = {getattr(pickle, k)[0]: v for k, v in _OPS.items()}
_GET_OPS = {pickle.GET[0], pickle.BINGET[0], pickle.LONG_BINGET[0]}
_CALL_OPS = {Unpickler._reduce, Unpickler._newobj, Unpickler._newobj_ex}


def globals_in_pickle(data: bytes) -> list[str]:
    """Every 'module.name' the pickle `data` refers to, read without executing anything."""
    import pickletools

    found: list[str] = []
    strings: list[str] = []
    memo: dict[int, Any] = {}
    last: Any = None
    proto = 0
    arg: Any  # genops types it Any | None; each opcode branch knows its argument's type
    for op, arg, _pos in pickletools.genops(data):
        name = op.name
        if name == "PROTO":
            proto = arg
        elif name == "GLOBAL":
            module, _, gname = arg.partition(" ")
            if proto < 3 and (module, gname) in _compat_pickle.NAME_MAPPING:
                module, gname = _compat_pickle.NAME_MAPPING[(module, gname)]
            elif proto < 3 and module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
            found.append(f"{module}.{gname}")
        elif name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str) and "UNICODE" in name:
            strings.append(arg)
            last = arg
        elif name in ("MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"):
            memo[len(memo) if name == "MEMOIZE" else arg] = last
        elif name in ("GET", "BINGET", "LONG_BINGET") and isinstance(memo.get(arg), str):
            strings.append(memo[arg])
            last = memo[arg]
        else:
            last = None
    return list(dict.fromkeys(found))


class NotSupported:
    """An allow-listed torch name ember cannot provide: looking it up raises, saying why."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"NotSupported({self.message!r})"
