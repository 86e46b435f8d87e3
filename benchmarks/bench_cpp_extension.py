"""The cost of calling a C++ extension op, against torch's built-in silu on the same input.

The op is examples/custom_op (silu in a plain C++ loop) called through
`ember.utils.cpp_extension.load`; torch's side is `torch.nn.functional.silu`, a native ATen
kernel (building a torch extension costs 25-40 s here, so the comparison is with torch's own
op). Small sizes measure the boundary: argument conversion, allocation of the result through
NumPy, the return; large sizes measure the kernel.

    python benchmarks/bench_cpp_extension.py [--build-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import ember  # noqa: E402
from ember.utils.cpp_extension import load  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_core import per_call  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default=None, help="build folder (default: a temp folder)")
    args = ap.parse_args()
    build = args.build_dir or tempfile.mkdtemp(prefix="ember_bench_ext_")
    t0 = time.perf_counter()
    ext = load(
        "custom_op",
        [str(ROOT / "examples" / "custom_op" / "custom_op.cpp")],
        build_directory=build,
        extra_cflags=["-O2"],
    )
    print(f"build (or cache hit) of the seed op with -O2: {time.perf_counter() - t0:.2f} s")
    print(f"{'case':34s} {'ember us':>10s} {'torch us':>10s} {'ratio':>7s}")
    for n in (16, 1024, 1 << 20):
        xe = ember.randn(n)
        e = per_call(lambda xe=xe: ext.custom_forward(xe))
        line = f"{'custom_forward(float32[' + str(n) + '])':34s} {e * 1e6:10.2f}"
        if torch is not None:
            xt = torch.randn(n)
            t = per_call(lambda xt=xt: torch.nn.functional.silu(xt))
            line += f" {t * 1e6:10.2f} {e / t:7.2f}"
        print(line)
    x = ember.randn(16)
    print(
        f"{'ember x * x.sigmoid() (Python ops)':34s} "
        f"{per_call(lambda: x * x.sigmoid()) * 1e6:10.2f}"
    )


if __name__ == "__main__":
    main()
