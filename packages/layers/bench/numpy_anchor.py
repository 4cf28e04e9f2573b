"""NumPy anchor for `pnpm bench` (cases/numpy.ts): one-thread BLAS timings to compare against.

Times, in float64 on one BLAS thread:
  - conv forward by im2col + matmul, x [32,16,28,28], w [32,16,3,3], stride 1, pad 1
    (padding, im2col, the matmul, the bias and the transpose back to NCHW are all timed);
  - GEMM 256^3 (numpy.matmul into a preallocated output).
Checks the im2col convolution against a direct one (einsum over sliding windows) first.
Prints one JSON object on stdout. Usage: python3 numpy_anchor.py [--quick]
"""
import os

# One BLAS thread, set before numpy loads its BLAS (cases/numpy.ts sets them too).
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import ctypes  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import as_strided, sliding_window_view  # noqa: E402


def blas_info():
    """BLAS name and version from numpy's build config, and its thread count asked at run time."""
    name = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        name = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no mode="dicts"
        pass
    threads = None
    paths = []
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "blas" in line.lower() and line.split()[-1].startswith("/")})
    except OSError:
        pass
    getters = [
        "scipy_openblas_get_num_threads64_",
        "scipy_openblas_get_num_threads",
        "openblas_get_num_threads64_",
        "openblas_get_num_threads",
        "mkl_get_max_threads",
    ]
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
        except OSError:
            continue
        for g in getters:
            fn = getattr(lib, g, None)
            if fn is not None:
                fn.restype = ctypes.c_int
                threads = int(fn())
                break
        if threads is not None:
            break
    return name, threads


def conv_forward_im2col(x, w, b, pad):
    """CS231n-style im2col convolution, stride 1: out [N, F, OH, OW]."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    OH = H + 2 * pad - KH + 1
    OW = W + 2 * pad - KW + 1
    s = xp.strides
    # windows[c, i, j, n, oh, ow] = xp[n, c, oh + i, ow + j]
    windows = as_strided(xp, shape=(C, KH, KW, N, OH, OW), strides=(s[1], s[2], s[3], s[0], s[2], s[3]))
    cols = windows.reshape(C * KH * KW, N * OH * OW)  # copies: this is the im2col
    out = w.reshape(F, -1) @ cols + b[:, None]
    return np.ascontiguousarray(out.reshape(F, N, OH, OW).transpose(1, 0, 2, 3))


def conv_forward_direct(x, w, b, pad):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    KH, KW = w.shape[2:]
    win = sliding_window_view(xp, (KH, KW), axis=(2, 3))  # [N, C, OH, OW, KH, KW]
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None]


def timed(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), time.process_time()
        wall.append((t1 - t0) * 1e3)
        cpu.append((c1 - c0) * 1e3)
    return {"ms": float(np.median(wall)), "cpuMs": float(np.median(cpu)), "runs": runs}


def main():
    quick = "--quick" in sys.argv[1:]
    rng = np.random.default_rng(2024)
    N, C, H, W, F, K, pad = 32, 16, 28, 28, 32, 3, 1
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, K, K)) * np.sqrt(2 / (C * K * K))
    b = rng.standard_normal(F) * 0.1
    got = conv_forward_im2col(x, w, b, pad)
    want = conv_forward_direct(x, w, b, pad)
    conv_err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))

    n = 256
    a = rng.standard_normal((n, n))
    bb = rng.standard_normal((n, n))
    c = np.empty((n, n))
    np.matmul(a, bb, out=c)
    gemm_err = float(np.max(np.abs(c - np.einsum("ik,kj->ij", a, bb))) / np.max(np.abs(c)))

    name, threads = blas_info()
    result = {
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "blas": name,
        "blasThreads": threads,
        "env": {v: os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "convForward": {**timed(lambda: conv_forward_im2col(x, w, b, pad), 7 if quick else 21, 2), "relError": conv_err},
        "gemm256": {**timed(lambda: np.matmul(a, bb, out=c), 21 if quick else 101, 5), "relError": gemm_err},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
