"""Finding the user's line behind a traced op: the first stack frame outside Ember itself.

Tracing runs user code through Ember's dispatch, so the frames between an op and the user's
line are Ember's; skipping them by file prefix is a string test per frame.
"""

from __future__ import annotations

import linecache
import os
import sys
from types import FrameType

import ember

_EMBER_DIR = os.path.dirname(os.path.abspath(ember.__file__)) + os.sep
# Ember files that are user-level programs, not machinery: their frames are reported.
_USER_DIRS = (_EMBER_DIR + "examples" + os.sep,)
# Code objects where a trace starts; frames above them are the caller of trace(), not the model.
STOP_CODES: set = set()


def _is_internal(filename: str) -> bool:
    return filename.startswith(_EMBER_DIR) and not filename.startswith(_USER_DIRS)


def user_frames(frame: FrameType | None, limit: int = 8) -> list[tuple[str, int, str]]:
    """(file, line, function) of the user frames above `frame`, innermost first."""
    out: list[tuple[str, int, str]] = []
    f = frame
    while f is not None and len(out) < limit:
        code = f.f_code
        if code in STOP_CODES:
            break
        fn = code.co_filename
        if not _is_internal(fn) and not fn.startswith("<eval_with_key"):
            out.append((fn, f.f_lineno, code.co_name))
        elif fn.startswith("<eval_with_key"):  # retracing a GraphModule: its code is the user's
            out.append((fn, f.f_lineno, code.co_name))
        f = f.f_back
    return out


def format_frames(frames: list[tuple[str, int, str]]) -> str:
    """torch.fx's stack_trace text: outermost frame first, each with its source line."""
    parts = []
    for fn, line, name in reversed(frames):
        src = linecache.getline(fn, line).strip()
        parts.append(f'  File "{fn}", line {line}, in {name}\n' + (f"    {src}\n" if src else ""))
    return "".join(parts)


def current_stack_trace(depth: int = 2) -> str:
    return format_frames(user_frames(sys._getframe(depth)))


def innermost_user_frame(depth: int = 2) -> tuple[str, int, str, str] | None:
    """(file, line, function, source text) of the nearest user frame, or None."""
    frames = user_frames(sys._getframe(depth), limit=1)
    if not frames:
        return None
    fn, line, name = frames[0]
    return fn, line, name, linecache.getline(fn, line).strip()
