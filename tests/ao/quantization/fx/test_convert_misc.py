"""Converted models: printed graphs show quantize/dequantize, copies and pickles run the same."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import ember

from .models import build_pair

pytest.importorskip("ember.ao.quantization.qconfig")

import ember.ao.quantization as eq  # noqa: E402
import ember.ao.quantization.quantize_fx as eqfx  # noqa: E402


@pytest.fixture(scope="module")
def converted() -> tuple[object, list[np.ndarray]]:
    em, _, data = build_pair("mlp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = eqfx.prepare_fx(em, eq.get_default_qconfig_mapping(), (ember.from_numpy(data[0]),))
        for x in data:
            p(ember.from_numpy(x))
        return eqfx.convert_fx(p), data


def test_printed_graph_shows_quantize_and_dequantize(converted: tuple) -> None:
    ce, _ = converted
    text = str(ce.graph)
    assert "ember.quantize_per_tensor" in text and "dequantize" in text
    code = ce.code
    assert "quantized_ops.add(" in code  # torch.add lowered without FloatFunctional
    assert "QuantizedLinearReLU" in str(ce)


def test_deepcopy_and_pickle(converted: tuple) -> None:
    ce, data = converted
    x = ember.from_numpy(data[1])
    y = ce(x).numpy()
    for clone in (copy.deepcopy(ce), pickle.loads(pickle.dumps(ce))):
        np.testing.assert_array_equal(clone(x).numpy(), y)


def test_prepared_model_is_a_float_model_until_converted() -> None:
    em, _, data = build_pair("cnn")
    x = ember.from_numpy(data[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = eqfx.prepare_fx(em, eq.get_default_qconfig_mapping(), (x,))
    # observers only watch: the prepared model computes the fused float model's outputs
    np.testing.assert_allclose(p(x).detach().numpy(), em(x).detach().numpy(), rtol=1e-4, atol=1e-5)
    assert sum("activation_post_process" in n for n, _ in p.named_modules()) > 3
