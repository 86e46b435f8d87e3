"""ember.cuda: works (or fails clearly) without a GPU; real checks run where CuPy sees one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember
import ember.cuda as cuda
from ember import _random as R
from tests.harness import torch

HAS_GPU = cuda.is_available()
needs_gpu = pytest.mark.skipif(not HAS_GPU, reason="needs CuPy and a CUDA GPU")
no_gpu = pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU behaviour")


def test_import_does_not_import_cupy():
    code = "import sys, ember, ember.cuda; assert 'cupy' not in sys.modules"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=str(Path(__file__).parents[1]))
    assert r.returncode == 0, r.stderr


@no_gpu
def test_without_gpu_matches_torch_cpu_build():
    assert cuda.is_available() is torch.cuda.is_available() is False
    assert cuda.device_count() == torch.cuda.device_count() == 0
    assert cuda.is_initialized() is False
    assert cuda.memory_allocated() == 0 and cuda.memory_reserved() == 0
    assert cuda.default_generators == ()
    assert cuda.is_bf16_supported() is False


@no_gpu
@pytest.mark.parametrize("call", [
    cuda.current_device, cuda.synchronize, cuda.get_device_name, cuda.get_device_capability,
    cuda.get_device_properties, cuda.init, lambda: cuda.set_device(0), cuda.initial_seed,
    cuda.get_rng_state, lambda: cuda.set_rng_state(R.get_rng_state()),
    lambda: R.Generator("cuda"), lambda: ember.zeros(2, device="cuda"),
    lambda: cuda.device(0).__enter__(),
])
def test_needs_gpu_raises_clearly(call):
    with pytest.raises(RuntimeError, match="CuPy") as e:
        call()
    assert "cupy-cuda12x" in str(e.value)


@no_gpu
def test_no_gpu_safe_calls():
    cuda.manual_seed(3)
    cuda.manual_seed_all(4)
    assert R._cuda_pending == {"all": 4}
    cuda.seed()
    cuda.seed_all()
    cuda.empty_cache()
    cuda.set_device(-1)
    cuda.set_device(None)
    with cuda.device(-1):
        pass
    with cuda.device(None):
        pass
    with cuda.device_of(ember.zeros(2)):
        pass
    assert cuda.get_rng_state_all() == []
    R.manual_seed(11)  # ember.manual_seed seeds the CUDA generators too (pending here)
    assert R._cuda_pending == {"all": 11}


def test_device_argument_checks():
    with pytest.raises(ValueError):
        cuda.set_device("cpu")
    with pytest.raises(ValueError):
        cuda.device("cpu")
    with pytest.raises(AttributeError):
        cuda.no_such_thing  # noqa: B018


@needs_gpu
def test_gpu_device_functions():
    n = cuda.device_count()
    assert n >= 1 and cuda.current_device() == 0
    assert isinstance(cuda.get_device_name(), str) and cuda.get_device_name(0)
    major, minor = cuda.get_device_capability()
    assert major >= 3 and minor >= 0
    assert cuda.get_device_properties(0).total_memory > 0
    cuda.synchronize()
    cuda.set_device(0)
    with cuda.device(0):
        assert cuda.current_device() == 0
    with pytest.raises(RuntimeError):
        cuda.set_device(n)
    assert cuda.is_initialized()
    x = ember.ones(1000, device="cuda")
    assert cuda.memory_allocated() >= 4000
    del x
    cuda.empty_cache()


@needs_gpu
def test_gpu_random_reproducible():
    R.manual_seed(5)
    a = ember.rand(100, device="cuda")
    assert a.device.type == "cuda"
    b = ember.randn(3, 4, device="cuda", dtype=ember.float16)
    R.manual_seed(5)
    np.testing.assert_array_equal(a.cpu().numpy(), ember.rand(100, device="cuda").cpu().numpy())
    np.testing.assert_array_equal(b.cpu().numpy(),
                                  ember.randn(3, 4, device="cuda",
                                              dtype=ember.float16).cpu().numpy())
    st = cuda.get_rng_state()
    c = ember.zeros(50, device="cuda").uniform_()
    cuda.set_rng_state(st)
    np.testing.assert_array_equal(c.cpu().numpy(),
                                  ember.zeros(50, device="cuda").uniform_().cpu().numpy())
    cuda.manual_seed(9)
    assert cuda.initial_seed() == 9
    g = R.Generator("cuda").manual_seed(1)
    x = ember.randint(0, 10, (20,), device="cuda", generator=g)
    assert x.device.type == "cuda" and int(x.max().item()) < 10
    with pytest.raises(RuntimeError, match="device type for generator"):
        ember.rand(3, generator=g)
    assert len(cuda.default_generators) == cuda.device_count()
    m = ember.multinomial(ember.ones(4, device="cuda"), 2)
    assert m.device.type == "cuda"
    y = ember.zeros(4, 6, device="cuda")
    y[:, ::2].normal_()
    h = y.cpu().numpy()
    assert (h[:, 1::2] == 0).all() and (h[:, ::2] != 0).all()
