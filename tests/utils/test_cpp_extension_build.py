"""utils.cpp_extension's build system: the disk cache across processes, rebuilds and their
reasons, concurrent and killed builds, compiler errors and the compile-time subset checks."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import ember
from ember.utils import cpp_extension
from ember.utils.cpp_extension import _build

pytestmark = pytest.mark.skipif(
    shutil.which(os.environ.get("CXX", "c++")) is None, reason="no C++ compiler"
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SMALL = """
#include <torch/extension.h>
torch::Tensor twice(torch::Tensor x) { return x * %s; }
PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def("twice", &twice); }
"""


def _script(body: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(body)]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _load_in_child(src: str, build: str, name: str = "small") -> list[str]:
    return _script(f"""
        import ember
        from ember.utils.cpp_extension import load
        m = load({name!r}, [{src!r}], build_directory={build!r}, verbose=True)
        print("RESULT", m.twice(ember.ones(2)).tolist())
    """)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("small")
    src = d / "small.cpp"
    src.write_text(SMALL % "2")
    build = d / "build"
    mod = cpp_extension.load("small", [str(src)], build_directory=str(build))
    return src, build, mod


def test_cache_hit_from_a_second_process(built):
    src, build, mod = built
    before = {p: os.stat(build / p).st_mtime_ns for p in os.listdir(build)}
    p = subprocess.run(
        _load_in_child(str(src), str(build)),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "cache hit" in p.stderr and "Building" not in p.stderr
    assert "RESULT [2.0, 2.0]" in p.stdout
    after = {p: os.stat(build / p).st_mtime_ns for p in os.listdir(build)}
    assert after == before  # nothing was rebuilt or rewritten


def test_rebuild_on_change_says_why(built, capsys):
    src, build, mod = built
    # the same source path, new contents: a rebuild, loaded next to the old module in-process
    old = src.read_text()
    try:
        src.write_text(SMALL % "3")
        m2 = cpp_extension.load("small", [str(src)], build_directory=str(build), verbose=True)
    finally:
        src.write_text(old)
    err = capsys.readouterr().err
    assert f"source {src} changed" in err
    assert m2.twice(ember.ones(1)).tolist() == [3.0]
    assert mod.twice(ember.ones(1)).tolist() == [2.0]  # the old module still works
    # back to the old contents: the first library is still in the cache
    m1 = cpp_extension.load("small", [str(src)], build_directory=str(build), verbose=True)
    assert "cache hit" in capsys.readouterr().err and m1 is mod


def test_rebuild_reasons_for_flags_and_headers(built, monkeypatch, capsys):
    src, build, _mod = built
    b = _build.Build("small", [str(src)], ["-O2"], [], [], str(build), False)
    assert not b.cached()
    assert "compiler flags changed" in b.why_rebuild() and "-O2" in b.why_rebuild()
    # a change of Ember's headers recompiles the sources (not only relinks old objects)
    monkeypatch.setattr(_build, "_headers_digest", lambda: "other")
    b = _build.Build("small", [str(src)], [], [], [], str(build), True)
    assert not b.cached() and "Ember's headers" in b.why_rebuild()
    b.ensure_built()
    err = capsys.readouterr().err
    assert f"-c {src}" in err and not [f for f in os.listdir(build) if f.startswith("obj-")]


def test_plain_library_load_returns_its_path(built):
    src, build, mod = built
    path = cpp_extension.load(
        "small", [str(src)], build_directory=str(build), is_python_module=False
    )
    assert path == mod.__file__ and os.path.isfile(path)


def test_changed_local_header_rebuilds(tmp_path, capsys):
    (tmp_path / "factor.h").write_text("#define FACTOR 4\n")
    src = tmp_path / "hdr.cpp"
    src.write_text('#include "factor.h"\n' + SMALL % "FACTOR")
    kw = dict(build_directory=str(tmp_path / "b"), verbose=True)
    m = cpp_extension.load("hdr", [str(src)], **kw)
    assert m.twice(ember.ones(1)).tolist() == [4.0]
    capsys.readouterr()
    (tmp_path / "factor.h").write_text("#define FACTOR 5\n")
    b = _build.Build("hdr", [str(src)], [], [], [], kw["build_directory"], False)
    assert not b.cached() and "factor.h changed" in b.why_rebuild()
    m2 = cpp_extension.load("hdr", [str(src)], **kw)  # rebuilt, and imported under a new name
    assert m2.twice(ember.ones(1)).tolist() == [5.0] and m2.__name__ == "hdr_v1"
    err = capsys.readouterr().err
    assert "factor.h changed ('hdr' is already imported in this process" in err


def test_concurrent_builds_share_one_build(tmp_path):
    src = tmp_path / "conc.cpp"
    src.write_text(SMALL % "5")
    build = str(tmp_path / "build")
    procs = [
        subprocess.Popen(
            _load_in_child(str(src), build, "conc"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "RESULT [5.0, 5.0]" in out
    errs = [e for _o, e in outs]
    assert sum("Building extension 'conc'" in e for e in errs) == 1, errs
    assert any("built by another process" in e or "cache hit" in e for e in errs), errs


def _lock_held(build: str) -> bool:
    path = os.path.join(build, "lock")
    if not os.path.exists(path):
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_killed_build_leaves_no_stuck_lock(tmp_path):
    src = tmp_path / "killed.cpp"
    src.write_text(SMALL % "7")
    build = str(tmp_path / "build")
    child = subprocess.Popen(
        _load_in_child(str(src), build, "killed"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        start_new_session=True,
    )
    deadline = time.time() + 60
    while not _lock_held(build):
        assert child.poll() is None, "the build finished before it could be killed"
        assert time.time() < deadline, "the child never started building"
        time.sleep(0.01)
    os.killpg(child.pid, signal.SIGKILL)  # the build and its compiler, midway
    child.communicate()
    assert not _lock_held(build)
    p = subprocess.run(
        _load_in_child(str(src), build, "killed"),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "RESULT [7.0, 7.0]" in p.stdout and "Building extension 'killed'" in p.stderr


def test_compile_error_shows_compiler_output_and_source_line(tmp_path):
    src = tmp_path / "broken.cpp"
    src.write_text(
        "#include <torch/extension.h>\n"
        "torch::Tensor f(torch::Tensor x) {\n"
        "  return x + undefined_thing;\n"
        "}\n"
    )
    with pytest.raises(RuntimeError) as e:
        cpp_extension.load("broken", [str(src)], build_directory=str(tmp_path / "b"))
    msg = str(e.value)
    assert "Error building extension 'broken'" in msg
    assert "'undefined_thing' was not declared" in msg
    assert f"{src}:3: return x + undefined_thing;" in msg
    assert not [
        f for f in os.listdir(tmp_path / "b") if f.startswith("broken.") and f.endswith(".so")
    ]


def test_unsupported_api_fails_at_compile_time_with_a_message(tmp_path):
    src = tmp_path / "unsup.cpp"
    src.write_text(
        "#include <torch/extension.h>\n"
        "#include <ATen/cuda/CUDAContext.h>\n"
        "torch::Tensor f(torch::Tensor x) { return x.cuda(); }\n"
        "torch::Tensor g() { return torch::randn({2, 3}); }\n"
    )
    with pytest.raises(RuntimeError) as e:
        cpp_extension.load("unsup", [str(src)], build_directory=str(tmp_path / "b"))
    msg = str(e.value)
    assert "<ATen/cuda/CUDAContext.h> is not supported by Ember's C++ extension API" in msg
    assert "Tensor::cuda() is not supported by Ember's C++ extension API" in msg
    assert "torch::randn is not supported by Ember's C++ extension API" in msg
    assert "docs/cpp-extension.md" in msg


def test_default_build_directory_follows_torch_extensions_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    root = cpp_extension.get_default_build_root()
    assert root.startswith(str(tmp_path)) and root.endswith("_cpu")
    d = _build.get_build_directory("abc", False)
    assert d == os.path.join(root, "abc") and os.path.isdir(d)
    monkeypatch.delenv("TORCH_EXTENSIONS_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cpp_extension.get_default_build_root().startswith(
        str(tmp_path / "cache" / "ember_extensions")
    )


def test_build_extension_adds_ember_flags(tmp_path, monkeypatch):
    from setuptools import Distribution

    from ember.utils.cpp_extension import BuildExtension, CppExtension

    ext = CppExtension("pkg.myext", ["a.cpp"], extra_compile_args={"cxx": ["-O2"]})
    assert cpp_extension.include_paths()[0] in ext.include_dirs
    cmd = BuildExtension(Distribution({"ext_modules": [ext]}))
    cmd.extensions = [ext]
    seen = []
    monkeypatch.setattr(
        "setuptools.command.build_ext.build_ext.build_extensions",
        lambda self: seen.append(list(self.extensions[0].extra_compile_args)),
    )
    cmd.build_extensions()
    assert seen == [
        [
            "-std=c++17",
            "-fvisibility=hidden",
            "-DTORCH_EXTENSION_NAME=myext",
            "-DTORCH_API_INCLUDE_EXTENSION_H",
            "-O2",
        ]
    ]
    bad = CppExtension("cu", ["a.cpp"], extra_compile_args={"nvcc": ["-O2"]})
    cmd.extensions = [bad]
    with pytest.raises(NotImplementedError, match="CPU-only"):
        cmd.build_extensions()


def test_setup_py_build_with_cpp_extension(tmp_path):
    shutil.copy(os.path.join(ROOT, "examples", "custom_op", "custom_op.cpp"), tmp_path)
    (tmp_path / "setup.py").write_text(
        textwrap.dedent("""
        from setuptools import setup
        from ember.utils.cpp_extension import BuildExtension, CppExtension
        setup(name="seedext", ext_modules=[CppExtension("seedext", ["custom_op.cpp"])],
              cmdclass={"build_ext": BuildExtension})
    """)
    )
    p = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    check = "import ember, seedext; print(seedext.custom_forward(ember.zeros(2)).tolist())"
    p = subprocess.run(
        [sys.executable, "-c", check],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[0.0, 0.0]"
