"""The GPT example's --quantize step: four versions, int8 ones a quarter-ish of the bytes, and
losses close to the float model's."""

from __future__ import annotations

import pytest

from ember.examples import gpt

TINY = ["--n-layer", "1", "--n-head", "2", "--n-embd", "32", "--block-size", "16",
        "--batch-size", "8", "--sample-len", "5", "--quiet"]


def test_quantize_table(tmp_path, capsys):
    res = gpt.run([*TINY, "--steps", "20", "--lr", "1e-2", "--out", str(tmp_path / "g.pt"),
                   "--quantize"])
    rows = {r["version"]: r for r in res["quantized"]}
    assert list(rows) == ["float", "dynamic", "static", "qat"]
    out = capsys.readouterr().out
    assert "version" in out and "qat" in out
    for name in ("dynamic", "static", "qat"):
        # Linear weights shrink 4x; the (tied) embedding and LayerNorms stay float
        assert rows[name]["bytes"] < 0.6 * rows["float"]["bytes"]
        assert rows[name]["val_loss"] == pytest.approx(rows["float"]["val_loss"], abs=0.1)
        assert rows[name]["ms"] > 0
