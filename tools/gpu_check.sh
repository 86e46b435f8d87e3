#!/usr/bin/env bash
# Run on a machine with an NVIDIA GPU and CuPy: the CPU suite subset as a baseline, then the
# same tests with ember's default device set to 'cuda' (tests/conftest.py). Logs go to $OUT
# (or ./gpu-logs). Usage: tools/gpu_check.sh [pytest paths...]
set -u
OUT=${OUT:-gpu-logs}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
PY=${PY:-python3}
PATHS=${*:-tests/ops tests/autograd tests/nn tests/test_tensor.py tests/test_cuda_module.py}
nvidia-smi -L
$PY -c "import cupy, numpy, ml_dtypes, threadpoolctl, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__)"
$PY -c "import ember; x = ember.ones(3, device='cuda'); print(x * 2, ember.cuda.get_device_name())"
timeout 120 $PY -m pytest -p no:cacheprovider -n 8 -q --timeout 60 -rf --tb=line $PATHS \
  > "$OUT/cpu.log" 2>&1; echo "cpu baseline rc=$?"; tail -3 "$OUT/cpu.log"
EMBER_TEST_DEVICE=cuda timeout ${CUDA_TIMEOUT:-300} $PY -m pytest -p no:cacheprovider -n 12 -v \
  --timeout 90 -rf --tb=line $PATHS > "$OUT/cuda.log" 2>&1; echo "cuda rc=$?"
grep -c " PASSED" "$OUT/cuda.log"; grep -c " FAILED" "$OUT/cuda.log"; tail -3 "$OUT/cuda.log"
