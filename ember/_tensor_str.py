"""Print options (torch.set_printoptions) and the tensor repr entry point."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
             "sci_mode": None}
_opts: dict[str, Any] = dict(_DEFAULTS)


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """torch.set_printoptions: precision, summarisation threshold/edgeitems, line width,
    a profile ('default', 'short', 'full') and sci_mode (None chooses automatically)."""
    if profile is not None:
        if profile == "default":
            _opts.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
        elif profile == "short":
            _opts.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
        elif profile == "full":
            _opts.update(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _opts[k] = v
    _opts["sci_mode"] = sci_mode  # torch resets it on every call


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for set_printoptions."""
    return dict(_opts)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (same arguments as set_printoptions)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


def tensor_repr(t: Any, tensor_contents: str | None = None) -> str:
    """repr(tensor) in torch's format (dtype names are ember's: `dtype=ember.float64`)."""
    from ._formatting import format_tensor

    return format_tensor(t, _opts, tensor_contents)


_str = tensor_repr
