"""ember.utils: data loading (and, later, cpp_extension)."""

from . import data  # noqa: F401
