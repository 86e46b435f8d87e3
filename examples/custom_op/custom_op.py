"""A C++ op end to end: build custom_op.cpp at run time, use it in an autograd.Function, check
its gradient, then register it as a library op that autograd and the meta device know.

    python examples/custom_op/custom_op.py          # the first run compiles (a few seconds)
"""

from __future__ import annotations

import os
import sys

import ember as torch
from ember.autograd import Function
from ember.utils.cpp_extension import load

HERE = os.path.dirname(os.path.abspath(__file__))


def main(build_directory: str | None = None, verbose: bool = True) -> dict:
    custom_op = load(
        name="custom_op",
        sources=[os.path.join(HERE, "custom_op.cpp")],
        build_directory=build_directory,
        verbose=verbose,
    )

    class CustomOpFunction(Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return custom_op.custom_forward(input)

        @staticmethod
        def backward(ctx, grad):
            (input,) = ctx.saved_tensors
            return custom_op.custom_backward(grad.contiguous(), input)

    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    y = CustomOpFunction.apply(x)
    y.sum().backward()
    print("forward matches x * sigmoid(x):", torch.allclose(y, x * torch.sigmoid(x)))
    print("grad:", x.grad[0])
    ok = torch.autograd.gradcheck(CustomOpFunction.apply, (x,))
    print("gradcheck:", ok)

    # The same kernels as a library op: ember.ops.example.silu, with autograd and a fake.
    if not hasattr(torch.ops, "example"):
        torch.library.define("example::silu", "(Tensor x) -> Tensor")
        torch.library.impl("example::silu", "cpu", custom_op.custom_forward)
        torch.library.register_fake("example::silu", lambda x: torch.empty_like(x))

        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        def backward(ctx, grad):
            (inp,) = ctx.saved_tensors
            return custom_op.custom_backward(grad.contiguous(), inp)

        torch.library.register_autograd("example::silu", backward, setup_context=setup_context)
    silu = torch.ops.example.silu
    ok_lib = torch.autograd.gradcheck(silu, (x,))
    meta = silu(torch.empty(2, 3, device="meta"))
    print("library op gradcheck:", ok_lib, "| on meta:", meta.shape, meta.device)
    return {"gradcheck": ok, "library_gradcheck": ok_lib, "meta_shape": tuple(meta.shape)}


if __name__ == "__main__":
    res = main()
    sys.exit(0 if res["gradcheck"] and res["library_gradcheck"] else 1)
