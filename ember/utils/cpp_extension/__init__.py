"""ember.utils.cpp_extension: build PyTorch-style C++ extensions against Ember's headers.

`load`/`load_inline` compile at run time (ninja when on PATH, else the compiler directly) into a
disk cache (see `_build.py`); `CppExtension`/`BuildExtension` do the same for setup.py builds.
Sources include `<torch/extension.h>`, which resolves to Ember's headers: the supported subset
is listed in docs/cpp-extension.md. Differs from torch: CPU only (CUDA/SYCL sources and
`with_cuda=True` raise NotImplementedError); the C++ standard is C++17.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from . import _build

__all__ = [
    "load",
    "load_inline",
    "include_paths",
    "CppExtension",
    "CUDAExtension",
    "BuildExtension",
    "get_default_build_root",
    "is_ninja_available",
    "verify_ninja_availability",
]


def _as_list(x: Any) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def _no_cuda(*gpu_args: Any) -> None:
    """CUDA/SYCL sources, flags or with_cuda/with_sycl=True: Ember builds CPU code only."""
    if any(gpu_args):
        raise NotImplementedError(
            "CUDA and SYCL extensions are not supported: Ember's C++ extensions "
            "run on CPU tensors (see docs/cpp-extension.md)"
        )


def load(
    name: str,
    sources: str | Sequence[str],
    extra_cflags: Sequence[str] | None = None,
    extra_cuda_cflags: Sequence[str] | None = None,
    extra_sycl_cflags: Sequence[str] | None = None,
    extra_ldflags: Sequence[str] | None = None,
    extra_include_paths: Sequence[str] | None = None,
    build_directory: str | None = None,
    verbose: bool = False,
    with_cuda: bool | None = None,
    with_sycl: bool | None = None,
    is_python_module: bool = True,
    is_standalone: bool = False,
    keep_intermediates: bool = True,
) -> Any:
    """Compile `sources` into a Python module named `name` (cached on disk) and import it.

    Returns the module; with is_python_module=False the library is loaded with ctypes and its
    path returned. `is_standalone` (an executable) is not supported.
    """
    _no_cuda(with_cuda, with_sycl, extra_cuda_cflags, extra_sycl_cflags)
    if is_standalone:
        raise NotImplementedError("load(is_standalone=True) is not supported by Ember")
    build_directory = build_directory or _build.get_build_directory(name, verbose)
    b = _build.make_build(
        name,
        _as_list(sources),
        _as_list(extra_cflags),
        _as_list(extra_ldflags),
        _as_list(extra_include_paths),
        build_directory,
        verbose,
    )
    b.ensure_built()
    return b.load(is_python_module)


def load_inline(
    name: str,
    cpp_sources: str | Sequence[str],
    cuda_sources: str | Sequence[str] | None = None,
    sycl_sources: str | Sequence[str] | None = None,
    functions: str | Sequence[str] | dict[str, str] | None = None,
    extra_cflags: Sequence[str] | None = None,
    extra_cuda_cflags: Sequence[str] | None = None,
    extra_sycl_cflags: Sequence[str] | None = None,
    extra_ldflags: Sequence[str] | None = None,
    extra_include_paths: Sequence[str] | None = None,
    build_directory: str | None = None,
    verbose: bool = False,
    with_cuda: bool | None = None,
    with_sycl: bool | None = None,
    is_python_module: bool = True,
    with_pytorch_error_handling: bool = True,
    keep_intermediates: bool = True,
    use_pch: bool = False,
    no_implicit_headers: bool = False,
) -> Any:
    """Like `load`, from source strings: `<torch/extension.h>` is prepended and, when
    `functions` names functions (list, or dict name -> docstring), their bindings generated."""
    _no_cuda(cuda_sources, sycl_sources, with_cuda, with_sycl, extra_cuda_cflags, extra_sycl_cflags)
    build_directory = build_directory or _build.get_build_directory(name, verbose)
    parts = _as_list(cpp_sources)
    if not no_implicit_headers:
        parts.insert(0, "#include <torch/extension.h>")
    if functions is not None:
        if isinstance(functions, str):
            functions = [functions]
        if isinstance(functions, list | tuple):
            functions = {f: f for f in functions}
        if not isinstance(functions, dict):
            raise ValueError(
                f"Expected 'functions' to be a list or dict, but was {type(functions)}"
            )
        parts.append("PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {")
        for fn, doc in functions.items():
            doc = str(doc).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'm.def("{fn}", {fn}, "{doc}");')
        parts.append("}")
    os.makedirs(build_directory, exist_ok=True)
    path = os.path.join(build_directory, "main.cpp")
    text = "\n".join(parts)
    try:
        with open(path) as fh:
            same = fh.read() == text
    except OSError:
        same = False
    if not same:  # rewriting an unchanged file would only disturb ninja's timestamps
        _build._atomic_write(path, text)
    return load(
        name,
        [path],
        extra_cflags=extra_cflags,
        extra_ldflags=extra_ldflags,
        extra_include_paths=extra_include_paths,
        build_directory=build_directory,
        verbose=verbose,
        is_python_module=is_python_module,
    )


def include_paths(device_type: str = "cpu", torch_include_dirs: bool = True) -> list[str]:
    """Ember's C++ headers (where `<torch/extension.h>` lives) and pybind11's."""
    if device_type != "cpu":
        raise NotImplementedError(
            f"include_paths('{device_type}'): Ember's C++ extensions are CPU-only"
        )
    return [_build.ember_include_dir(), _build.pybind11_include_dir()] if torch_include_dirs else []


def get_default_build_root() -> str:
    """The folder under which `load` builds when no build_directory is given."""
    return _build.default_build_root()


def is_ninja_available() -> bool:
    return _build._ninja() is not None


def verify_ninja_availability() -> None:
    if not is_ninja_available():
        raise RuntimeError("Ninja is required to load C++ extensions (pip install ninja)")


def CppExtension(name: str, sources: Sequence[str], *args: Any, **kwargs: Any) -> Any:  # noqa: N802
    """A setuptools.Extension compiled against Ember's headers (use with BuildExtension)."""
    from setuptools import Extension

    kwargs["include_dirs"] = list(kwargs.get("include_dirs", [])) + include_paths()
    kwargs["language"] = "c++"
    return Extension(name, list(sources), *args, **kwargs)


def CUDAExtension(name: str, sources: Sequence[str], *args: Any, **kwargs: Any) -> Any:  # noqa: N802
    raise NotImplementedError("CUDAExtension: Ember's C++ extensions are CPU-only")


def __getattr__(name: str) -> Any:
    if name == "BuildExtension":  # imports setuptools: only when a setup.py asks for it
        from ._setup import BuildExtension

        return BuildExtension
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
