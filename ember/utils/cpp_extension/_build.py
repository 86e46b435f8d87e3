"""Compiling and caching run-time C++ extensions: the build folder, the cache key, the lock.

A build is identified by a key hashing the sources, the flags, Ember's headers, pybind11's and
Python's versions and `<compiler> --version`. The built library is installed atomically under a
file name holding the key, so a second process (or a second load in this one) that finds it
loads it without building, and a changed input builds a new file (a running process keeps the
old one mapped). Builds of one folder are serialised by `fcntl.flock` on `lock`: the OS releases
it when the holder dies, so a killed build never blocks later loads.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

_KEY_VERSION = "ember-cpp-2"  # bump when the build recipe changes
_INCLUDE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "include")
_EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
_loaded: dict[str, ModuleType] = {}  # library path -> module
_loaded_keys: dict[str, str] = {}  # module name -> key of the library loaded under it


def ember_include_dir() -> str:
    return _INCLUDE


def pybind11_include_dir() -> str:
    try:
        import pybind11
    except ImportError as e:  # a runtime dependency, but say what is missing if it is
        raise RuntimeError("ember.utils.cpp_extension needs pybind11 (pip install pybind11)") from e
    return str(pybind11.get_include())


def system_include_dirs() -> list[str]:
    """Ember's headers, pybind11's and Python's: what every extension is compiled against."""
    dirs = [_INCLUDE, pybind11_include_dir(), sysconfig.get_paths()["include"]]
    plat = sysconfig.get_paths()["platinclude"]
    return dirs + ([plat] if plat not in dirs else [])


def compiler() -> str:
    return os.environ.get("CXX", "c++")


@functools.cache
def _compiler_version(cxx: str) -> str:
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(
            f"cannot run the C++ compiler '{cxx}' (set CXX to choose one): {e}"
        ) from e
    return out.stdout.strip()


@functools.cache
def _headers_digest() -> str:
    """Ember's shipped headers and the versions of what they build on."""
    import pybind11

    h = hashlib.sha256(f"{pybind11.__version__}|{sys.version}|{_EXT_SUFFIX}".encode())
    for root, _dirs, files in sorted(os.walk(_INCLUDE)):
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(os.path.relpath(p, _INCLUDE).encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def _ninja() -> str | None:
    """The ninja executable when available, else None: on PATH, or beside this Python (pip's
    `ninja` in a virtual environment that was not activated)."""
    found = shutil.which("ninja")
    if found is None:
        beside = os.path.join(os.path.dirname(sys.executable), "ninja")
        found = beside if os.access(beside, os.X_OK) else None
    return found


def default_build_root() -> str:
    """TORCH_EXTENSIONS_DIR, else a per-user cache folder; then py<ver>_cpu as torch does."""
    root = os.environ.get("TORCH_EXTENSIONS_DIR")
    if root is None:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(cache, "ember_extensions")
    tag = f"py{sys.version_info.major}{sys.version_info.minor}{getattr(sys, 'abiflags', '')}_cpu"
    return os.path.join(root, tag)


def get_build_directory(name: str, verbose: bool) -> str:
    d = os.path.join(default_build_root(), name)
    if verbose:
        print(f"Using {os.path.dirname(d)} as Ember extensions root...", file=sys.stderr)
    os.makedirs(d, exist_ok=True)
    return d


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_sources(sources: Sequence[str]) -> dict[str, str]:
    out = {}
    for s in sources:
        with open(s, "rb") as fh:  # a missing source raises FileNotFoundError naming it
            out[s] = _digest(fh.read())
    return out


class Build:
    """One extension's inputs, its cache key and where its library lives."""

    def __init__(
        self,
        name: str,
        sources: Sequence[str],
        extra_cflags: Sequence[str],
        extra_ldflags: Sequence[str],
        extra_include_paths: Sequence[str],
        build_directory: str,
        verbose: bool,
        base_name: str | None = None,
    ) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(
                f"extension name {name!r} must be a valid Python identifier "
                f"(it names the module and TORCH_EXTENSION_NAME)"
            )
        self.name = name
        self.sources = [os.path.abspath(s) for s in sources]
        if not self.sources:
            raise ValueError(f"load(): extension '{name}' has no sources")
        for s in self.sources:
            if s.endswith((".cu", ".cuh")):
                raise NotImplementedError(f"CUDA source {s}: Ember's C++ extensions are CPU-only")
        self.build_dir = os.path.abspath(build_directory)
        self.verbose = verbose
        self.cxx = compiler()
        includes = [os.path.abspath(p) for p in extra_include_paths]
        self.cflags = (
            [f"-I{p}" for p in includes]
            + [f"-isystem{p}" for p in system_include_dirs()]
            + [
                "-fPIC",
                "-std=c++17",
                "-fvisibility=hidden",
                f"-DTORCH_EXTENSION_NAME={name}",
                "-DTORCH_API_INCLUDE_EXTENSION_H",
            ]
            + list(extra_cflags)
        )
        self.ldflags = ["-shared"] + list(extra_ldflags)
        self.inputs: dict[str, Any] = {
            "recipe": _KEY_VERSION,
            "sources": _read_sources(self.sources),
            "cflags": self.cflags,
            "ldflags": self.ldflags,
            "headers": _headers_digest(),
            "compiler": f"{self.cxx}: {_compiler_version(self.cxx)}",
        }
        self.key = _digest(json.dumps(self.inputs, sort_keys=True).encode())[:20]
        self.library = os.path.join(self.build_dir, f"{name}.{self.key}{_EXT_SUFFIX}")
        self.manifest = os.path.join(self.build_dir, f"{base_name or name}.last.json")
        self.obj_dir = os.path.join(self.build_dir, f"obj-{self.key}")

    def log(self, msg: str) -> None:
        if self.verbose:
            print(msg, file=sys.stderr)

    # ------------------------------------------------------------------ cache
    def cached(self) -> bool:
        """The library for this key exists and the local headers it included are unchanged."""
        if not os.path.exists(self.library):
            return False
        deps = self._recorded_deps()
        for path, digest in deps.items():
            try:
                with open(path, "rb") as fh:
                    ok = _digest(fh.read()) == digest
            except OSError:
                ok = False
            if not ok:
                self.stale_reason = f"included header {path} changed"
                return False
        return True

    def _recorded_deps(self) -> dict[str, str]:
        try:
            with open(self.library + ".deps.json") as fh:
                return dict(json.load(fh))
        except (OSError, ValueError):
            return {}

    def why_rebuild(self) -> str:
        """What differs from the last build of this extension in this folder."""
        reason = getattr(self, "stale_reason", None)
        if reason:
            return reason
        try:
            with open(self.manifest) as fh:
                last = json.load(fh)
        except (OSError, ValueError):
            return "no previous build in this folder"
        changed = []
        old_src, new_src = last.get("sources", {}), self.inputs["sources"]
        for s in sorted(set(old_src) | set(new_src)):
            if s not in old_src:
                changed.append(f"source {s} added")
            elif s not in new_src:
                changed.append(f"source {s} removed")
            elif old_src[s] != new_src[s]:
                changed.append(f"source {s} changed")
        for k, what in (
            ("cflags", "compiler flags"),
            ("ldflags", "linker flags"),
            ("headers", "Ember's headers (or pybind11/Python)"),
            ("compiler", "the compiler"),
            ("recipe", "Ember's build recipe"),
        ):
            if last.get(k) != self.inputs[k]:
                changed.append(
                    f"{what} changed"
                    + (f": {last.get(k)} -> {self.inputs[k]}" if k.endswith("flags") else "")
                )
        if not changed:
            return "the library built before for these inputs was removed"
        return "; ".join(changed)

    # ------------------------------------------------------------------ build
    def ensure_built(self) -> None:
        """Build unless cached; one process builds, concurrent ones wait and reuse its result."""
        if self.cached():
            self.log(f"Extension '{self.name}': cache hit, loading {self.library}")
            return
        os.makedirs(self.build_dir, exist_ok=True)
        waiting = f"Extension '{self.name}': waiting for another process building in "
        with build_lock(self.build_dir, lambda: self.log(waiting + self.build_dir)):
            if self.cached():  # the process we waited for built it
                self.log(f"Extension '{self.name}': built by another process, loading")
                return
            self.log(f"Building extension '{self.name}' in {self.build_dir}: {self.why_rebuild()}")
            self._compile_and_link()

    def _objects(self) -> list[str]:
        objs = []
        for i, s in enumerate(self.sources):
            stem = os.path.splitext(os.path.basename(s))[0]
            objs.append(os.path.join(self.obj_dir, f"{i}_{stem}.o"))
        return objs

    def _compile_and_link(self) -> None:
        # Objects live in a folder per key: the depfiles name only local headers, so ninja
        # alone would not see a change of Ember's headers, pybind11 or the compiler. Objects
        # of other keys are stale by construction; those of this key are only left by a build
        # that was killed or failed, and ninja's log tells which of them are complete.
        for f in os.listdir(self.build_dir):
            if f.startswith("obj-") and f != os.path.basename(self.obj_dir):
                shutil.rmtree(os.path.join(self.build_dir, f), ignore_errors=True)
        os.makedirs(self.obj_dir, exist_ok=True)
        partial = os.path.join(self.build_dir, f"{self.name}.partial{_EXT_SUFFIX}")
        objs = self._objects()
        ninja = _ninja()
        if ninja is not None:
            self._write_ninja(objs, partial)
            cmd = [ninja, "-C", self.build_dir] + (["-v"] if self.verbose else [])
            self._run(cmd, "ninja")
        else:
            self._build_directly(objs, partial)
        deps = self._collect_deps(objs)
        # library first: a reader that sees it with the previous deps only rebuilds needlessly
        os.replace(partial, self.library)
        _atomic_write(self.library + ".deps.json", json.dumps(deps))
        _atomic_write(self.manifest, json.dumps(self.inputs, sort_keys=True, indent=1))
        shutil.rmtree(self.obj_dir, ignore_errors=True)
        self.log(f"Extension '{self.name}': built {self.library}")

    def _compile_cmd(self, src: str, obj: str) -> list[str]:
        return [self.cxx, "-MMD", "-MF", obj + ".d", *self.cflags, "-c", src, "-o", obj]

    def _build_directly(self, objs: list[str], out: str) -> None:
        procs = []
        for src, obj in zip(self.sources, objs):
            cmd = self._compile_cmd(src, obj)
            self.log(" ".join(cmd))
            procs.append(
                (
                    cmd,
                    subprocess.Popen(
                        cmd,
                        stdout=subprocess.PIPE,
                        env=_c_locale(),
                        stderr=subprocess.STDOUT,
                        text=True,
                    ),
                )
            )
        failed = []
        for _cmd, p in procs:
            out_text, _ = p.communicate()
            if p.returncode != 0:
                failed.append(out_text)
            elif out_text and self.verbose:
                print(out_text, file=sys.stderr)
        if failed:
            self._fail("\n".join(failed))
        self._run([self.cxx, *objs, *self.ldflags, "-o", out], "link")

    def _write_ninja(self, objs: list[str], out: str) -> None:
        e = _ninja_escape
        lines = [
            "ninja_required_version = 1.3",
            f"cxx = {e(self.cxx)}",
            f"cflags = {' '.join(_shell_quote(f) for f in self.cflags)}",
            f"ldflags = {' '.join(_shell_quote(f) for f in self.ldflags)}",
            "rule compile",
            "  command = $cxx -MMD -MF $out.d $cflags -c $in -o $out",
            "  depfile = $out.d",
            "rule link",
            "  command = $cxx $in $ldflags -o $out",
        ]
        for src, obj in zip(self.sources, objs):
            lines.append(f"build {e(obj)}: compile {e(src)}")
        lines.append(f"build {e(out)}: link {' '.join(e(o) for o in objs)}")
        lines.append(f"default {e(out)}")
        _atomic_write(os.path.join(self.build_dir, "build.ninja"), "\n".join(lines) + "\n")

    def _run(self, cmd: list[str], what: str) -> None:
        if self.verbose and what != "ninja":
            print(" ".join(cmd), file=sys.stderr)
        p = subprocess.run(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.build_dir,
            env=_c_locale(),
        )
        if p.returncode != 0:
            self._fail(p.stdout)
        if self.verbose and p.stdout:
            print(p.stdout, file=sys.stderr)

    def _fail(self, output: str) -> None:
        raise RuntimeError(
            f"Error building extension '{self.name}':\n{output.rstrip()}{_offending_lines(output)}"
        )

    def _collect_deps(self, objs: list[str]) -> dict[str, str]:
        """Local headers the sources included (from the compiler's depfiles), with digests."""
        deps: dict[str, str] = {}
        srcs = set(self.sources)
        for obj in objs:
            try:
                with open(obj + ".d") as fh:
                    text = fh.read()
            except OSError:
                continue
            body = text.split(":", 1)[1] if ":" in text else ""
            for path in re.split(r"(?<!\\)\s+", body.replace("\\\n", " ")):
                path = path.replace("\\ ", " ").strip()
                if not path or os.path.abspath(path) in srcs:
                    continue
                p = os.path.abspath(path)
                if p.startswith(_INCLUDE + os.sep):
                    continue
                try:
                    with open(p, "rb") as fh:
                        deps[p] = _digest(fh.read())
                except OSError:
                    continue
        return deps

    # ------------------------------------------------------------------ load
    def load(self, is_python_module: bool) -> Any:
        if not is_python_module:
            import ctypes

            ctypes.CDLL(self.library, mode=ctypes.RTLD_GLOBAL)
            return self.library
        mod = _loaded.get(self.library)
        if mod is None:
            spec = importlib.util.spec_from_file_location(self.name, self.library)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load extension '{self.name}' from {self.library}")
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            _loaded[self.library] = mod
            _loaded_keys[self.name] = self.key
        return mod


def make_build(
    name: str,
    sources: Sequence[str],
    extra_cflags: Sequence[str],
    extra_ldflags: Sequence[str],
    extra_include_paths: Sequence[str],
    build_directory: str,
    verbose: bool,
) -> Build:
    """The Build for `name`, renamed <name>_v<n> when this process already imported a
    different build of <name>: CPython keeps the first extension module of a given name, so a
    rebuilt one must be imported under a new name (torch does the same)."""
    version, why = 0, ""
    while True:
        mod_name = name if version == 0 else f"{name}_v{version}"
        b = Build(
            mod_name,
            sources,
            extra_cflags,
            extra_ldflags,
            extra_include_paths,
            build_directory,
            verbose,
            base_name=name,
        )
        loaded = _loaded_keys.get(mod_name)
        # the same key but a changed local header rebuilds: that library needs a new name too
        if loaded is None or (loaded == b.key and b.cached()):
            if version:
                b.stale_reason = (
                    f"{why} ('{name}' is already imported in this process, so this build "
                    f"is imported as '{mod_name}')"
                )
            return b
        if version == 0:
            why = b.why_rebuild()
        version += 1


_ERR_LOC = re.compile(
    r"^(?P<file>[^\s:][^:\n]*):(?P<line>\d+):(?:\d+:)? (?:fatal )?error:", re.MULTILINE
)


def _offending_lines(output: str, limit: int = 8) -> str:
    """The source lines the compiler's errors point at, quoted under the output."""
    seen = []
    for m in _ERR_LOC.finditer(output):
        loc = (m.group("file"), int(m.group("line")))
        if loc not in seen:
            seen.append(loc)
    quoted = []
    for path, line in seen[:limit]:
        try:
            with open(path, errors="replace") as fh:
                text = fh.read().splitlines()
        except OSError:
            continue
        if 1 <= line <= len(text):
            quoted.append(f"  {path}:{line}: {text[line - 1].strip()}")
    return ("\n\nOffending source lines:\n" + "\n".join(quoted)) if quoted else ""


def _c_locale() -> dict[str, str]:
    """The environment with LC_ALL=C: the compiler's messages in plain ASCII quotes."""
    return dict(os.environ, LC_ALL="C")


def _ninja_escape(s: str) -> str:
    return s.replace("$", "$$").replace(" ", "$ ").replace(":", "$:")


def _shell_quote(s: str) -> str:
    import shlex

    return shlex.quote(s).replace("$", "$$")


@contextmanager
def build_lock(build_dir: str, on_wait: Callable[[], Any] | None = None) -> Iterator[None]:
    """Hold build_dir's lock file: one process builds, the others wait (calling on_wait once).
    fcntl.flock is released by the OS when its holder dies, so a killed build never leaves a
    lock that hangs later loads."""
    fd = os.open(os.path.join(build_dir, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def _atomic_write(path: str, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
