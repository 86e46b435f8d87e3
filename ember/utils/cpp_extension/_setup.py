"""BuildExtension: setuptools' build_ext with the flags Ember's headers need."""

from __future__ import annotations

from typing import Any

from setuptools.command.build_ext import build_ext


class BuildExtension(build_ext):
    """Adds -std=c++17, hidden visibility and -DTORCH_EXTENSION_NAME=<name> to each extension.

    `extra_compile_args` may be a list or torch's dict form ({'cxx': [...]}); a 'nvcc' entry
    raises NotImplementedError (CPU only).
    """

    @classmethod
    def with_options(cls, **options: Any) -> type:
        class WithOptions(cls):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs.update(options)
                super().__init__(*args, **kwargs)

        return WithOptions

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.no_python_abi_suffix = kwargs.pop("no_python_abi_suffix", False)
        self.use_ninja = kwargs.pop("use_ninja", True)
        super().__init__(*args, **kwargs)

    def build_extensions(self) -> None:
        for ext in self.extensions:
            args = ext.extra_compile_args
            if isinstance(args, dict):
                if args.get("nvcc"):
                    raise NotImplementedError(
                        f"extension '{ext.name}': nvcc flags given, but "
                        f"Ember's C++ extensions are CPU-only"
                    )
                args = list(args.get("cxx", []))
            short = ext.name.split(".")[-1]
            ext.extra_compile_args = [
                "-std=c++17",
                "-fvisibility=hidden",
                f"-DTORCH_EXTENSION_NAME={short}",
                "-DTORCH_API_INCLUDE_EXTENSION_H",
            ] + list(args or [])
        super().build_extensions()

    def get_ext_filename(self, ext_name: str) -> str:
        name = super().get_ext_filename(ext_name)
        if self.no_python_abi_suffix:
            parts = name.split(".")
            if len(parts) > 2:
                name = ".".join(parts[:-2] + parts[-1:])
        return name
