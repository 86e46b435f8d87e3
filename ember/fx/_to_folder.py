"""GraphModule.to_folder: an importable package holding the generated code and the tensors.

Writes `<folder>/module.py` (class `<module_name>(ember.nn.Module)` with the generated
forward), `<folder>/__init__.py`, `attrs.pt` (the module's own parameters, buffers and tensor
constants) and one `<name>.pt` per direct submodule (loaded with weights_only=False: only load
folders you wrote). Every file is written atomically.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

from .._tensor import Tensor
from ..nn.parameter import Parameter
from ._qualname import is_resolvable, qualified_name

if TYPE_CHECKING:
    from .graph_module import GraphModule


def _write_atomic(path: str, data: str) -> None:
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_folder(gm: GraphModule, folder: str, module_name: str) -> None:
    import ember

    os.makedirs(folder, exist_ok=True)
    pc = gm.graph.python_code("self")
    imports = ["import os", "", "import ember", "from ember.fx._qualname import resolve as "
               "_fx_resolve"]
    for name, obj in pc.globals.items():
        if name == "ember":
            continue
        if not is_resolvable(obj):
            raise NotImplementedError(f"to_folder: the generated code uses {name} = {obj!r}, "
                                      "which cannot be imported by name")
        imports.append(f"{name} = _fx_resolve({qualified_name(obj)!r})")
    params = {k: v.detach() for k, v in gm._parameters.items() if v is not None}
    grads = {k: v.requires_grad for k, v in gm._parameters.items() if v is not None}
    buffers = {k: v for k, v in gm._buffers.items() if v is not None}
    consts = {k: v for k, v in gm.__dict__.items() if isinstance(v, Tensor)
              and not isinstance(v, Parameter)}
    ember.save({"parameters": params, "requires_grad": grads, "buffers": buffers,
                "constants": consts}, os.path.join(folder, "attrs.pt"))
    subs = []
    for name, sub in gm.named_children():
        ember.save(sub, os.path.join(folder, f"{name}.pt"))
        subs.append(name)
    init = [
        "    def __init__(self) -> None:",
        "        super().__init__()",
        "        here = os.path.dirname(os.path.abspath(__file__))",
        f"        for name in {subs!r}:",
        "            self.add_module(name, ember.load(os.path.join(here, name + '.pt'),",
        "                                             weights_only=False))",
        "        attrs = ember.load(os.path.join(here, 'attrs.pt'), weights_only=False)",
        "        for k, v in attrs['parameters'].items():",
        "            self.register_parameter(k, ember.nn.Parameter(v, attrs['requires_grad'][k]))",
        "        for k, v in attrs['buffers'].items():",
        "            self.register_buffer(k, v)",
        "        for k, v in attrs['constants'].items():",
        "            setattr(self, k, v)",
    ]
    fwd = ["    " + ln if ln.strip() else "" for ln in pc.src.strip("\n").splitlines()]
    src = "\n".join(imports + ["", "", f"class {module_name}(ember.nn.Module):"] + init
                    + [""] + fwd) + "\n"
    _write_atomic(os.path.join(folder, "module.py"), src)
    _write_atomic(os.path.join(folder, "__init__.py"), f"from .module import {module_name}\n")


