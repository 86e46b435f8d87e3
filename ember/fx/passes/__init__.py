"""Graph passes: shape propagation, splitting into submodules, drawing."""

from __future__ import annotations

from . import graph_drawer, shape_prop, split_module
from .graph_drawer import FxGraphDrawer
from .shape_prop import ShapeProp, TensorMetadata

__all__ = ["graph_drawer", "shape_prop", "split_module", "FxGraphDrawer", "ShapeProp",
           "TensorMetadata"]
