"""lioncub: Lion Cub's compressed data-parallel Lion optimizer (C++ library) from Python.

`import lioncub` needs neither torch nor CUDA: it wraps the C API with ctypes. The PyTorch
optimizer is `lioncub.torch.Lion` (needs torch). See docs/pytorch.md."""

import ctypes

from . import _capi
from ._capi import LioncubError, check

__all__ = ["LioncubError", "Comm", "LionOptimizer", "make_config", "version", "has_cuda",
           "algorithm_name"]


def version():
    a, b, c = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    _capi.lib().lioncubGetVersion(ctypes.byref(a), ctypes.byref(b), ctypes.byref(c))
    return (a.value, b.value, c.value)


def has_cuda():
    """Whether the loaded library was built with CUDA kernels."""
    return bool(_capi.lib().lioncubHasCuda())


def algorithm_name(value):
    name = _capi.lib().lioncubAlgorithmName(int(value))
    return name.decode() if name else f"algorithm {value}"


def algorithm_from_name(name):
    out = ctypes.c_int()
    check(_capi.lib().lioncubAlgorithmFromName(str(name).encode(), ctypes.byref(out)),
          f"algorithm {name!r}")
    return out.value


class Comm:
    """A lioncub communicator. Host: `Comm.host(nranks, rank, "host:port")` or `Comm.from_env()`;
    device (NCCL): `Comm.nccl(nccl_comm_pointer)`. Close with close() (or use `with`)."""

    def __init__(self, handle, owned_nccl=None):
        self._h = ctypes.c_void_p(handle)
        self._nccl = owned_nccl  # (destroy function, ncclComm_t) destroyed after the lioncub comm

    @classmethod
    def host(cls, nranks, rank, rendezvous=None):
        h = ctypes.c_void_p()
        check(_capi.lib().lioncubCommInitHost(ctypes.byref(h), int(nranks), int(rank),
                                              rendezvous.encode() if rendezvous else None),
              f"rank {rank}: lioncubCommInitHost({nranks}, {rank}, {rendezvous!r})")
        return cls(h.value)

    @classmethod
    def from_env(cls):
        h = ctypes.c_void_p()
        check(_capi.lib().lioncubCommInitFromEnv(ctypes.byref(h)), "lioncubCommInitFromEnv")
        return cls(h.value)

    @classmethod
    def nccl(cls, nccl_comm, owned_nccl=None):
        h = ctypes.c_void_p()
        check(_capi.lib().lioncubCommInitNccl(ctypes.byref(h), ctypes.c_void_p(nccl_comm)),
              "lioncubCommInitNccl")
        return cls(h.value, owned_nccl)

    @property
    def handle(self):
        if not self._h:
            raise LioncubError(2, "lioncub communicator used after close()")
        return self._h

    def _int_query(self, fn):
        v = ctypes.c_int()
        check(fn(self.handle, ctypes.byref(v)))
        return v.value

    @property
    def rank(self):
        return self._int_query(_capi.lib().lioncubCommRank)

    @property
    def size(self):
        return self._int_query(_capi.lib().lioncubCommSize)

    @property
    def is_device(self):
        return self._int_query(_capi.lib().lioncubCommMemory) == _capi.MEM_DEVICE

    def close(self):
        if self._h:
            _capi.lib().lioncubCommDestroy(self._h)
            self._h = ctypes.c_void_p()
        if self._nccl is not None:
            destroy, comm = self._nccl
            self._nccl = None
            destroy(comm)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def make_config(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, algorithm="auto", code=None,
                tie="zero", bucket_mb=None, momentum_sync=None, ternary_alpha=None,
                ternary_block=None):
    """A lioncubLionConfig_t from lioncubLionConfigDefault with these settings.

    code: None (the algorithm's: ternary for quant2-rs, sign otherwise), "sign" or "ternary".
    momentum_sync: None/0 (never), an int K (every K steps), ("every", K) or ("exponential", k)."""
    cfg = _capi.LionConfig()
    check(_capi.lib().lioncubLionConfigDefault(ctypes.byref(cfg)), "lioncubLionConfigDefault")
    cfg.lr = float(lr)
    cfg.beta1, cfg.beta2 = float(betas[0]), float(betas[1])
    cfg.weightDecay = float(weight_decay)
    cfg.algorithm = algorithm if isinstance(algorithm, int) else algorithm_from_name(algorithm)
    if code is None:
        code = "ternary" if cfg.algorithm == _capi.ALGORITHMS.index("quant2-rs") else "sign"
    codes = {"sign": _capi.CODE_SIGN, "ternary": _capi.CODE_TERNARY}
    if code not in codes:
        raise ValueError(f"lioncub: code must be 'sign' or 'ternary', not {code!r}")
    cfg.code = codes[code]
    ties = {"zero": _capi.TIE_ZERO, "alternate": _capi.TIE_ALTERNATE}
    if tie not in ties:
        raise ValueError(f"lioncub: tie must be 'zero' or 'alternate', not {tie!r}")
    cfg.tie = ties[tie]
    if bucket_mb is not None:
        if not bucket_mb > 0:
            raise ValueError(f"lioncub: bucket_mb must be > 0, not {bucket_mb!r}")
        cfg.bucketBytes = max(1, int(bucket_mb * (1 << 20)))
    if ternary_alpha is not None:
        cfg.ternaryAlpha = float(ternary_alpha)
    if ternary_block is not None:
        cfg.ternaryBlock = int(ternary_block)
    if momentum_sync in (None, 0, False):
        cfg.momentumSync = _capi.SYNC_NEVER
    elif isinstance(momentum_sync, int):
        cfg.momentumSync, cfg.momentumSyncEvery = _capi.SYNC_EVERY, momentum_sync
    elif (isinstance(momentum_sync, (tuple, list)) and len(momentum_sync) == 2
          and momentum_sync[0] in ("every", "exponential")):
        if momentum_sync[0] == "every":
            cfg.momentumSync, cfg.momentumSyncEvery = _capi.SYNC_EVERY, int(momentum_sync[1])
        else:
            cfg.momentumSync, cfg.momentumSyncExpK = _capi.SYNC_EXPONENTIAL, float(momentum_sync[1])
    else:
        raise ValueError("lioncub: momentum_sync must be None, an int K (every K steps), "
                         f"('every', K) or ('exponential', k), not {momentum_sync!r}")
    return cfg


def _ptr_array(ptrs):
    return (ctypes.c_void_p * len(ptrs))(*ptrs)


class LionOptimizer:
    """lioncubLionCreateTensors over `numels` (one optimizer per parameter space; collective).
    step() takes raw pointers (ints): one per tensor for params, grads and momentum."""

    def __init__(self, comm, numels, dtype, config):
        self.comm = comm
        self.numels = [int(n) for n in numels]
        h = ctypes.c_void_p()
        arr = (ctypes.c_size_t * len(self.numels))(*self.numels)
        check(_capi.lib().lioncubLionCreateTensors(ctypes.byref(h), comm.handle, len(self.numels),
                                                   arr, int(dtype), ctypes.byref(config)),
              "lioncubLionCreateTensors")
        self._h = h

    @property
    def handle(self):
        if not self._h:
            raise LioncubError(2, "lioncub optimizer used after close()")
        return self._h

    def step(self, params, grads, momentum, stream=None):
        n = len(self.numels)
        if not (len(params) == len(grads) == len(momentum) == n):
            raise ValueError(f"lioncub: step needs {n} params, grads and momentum pointers")
        check(_capi.lib().lioncubLionStepTensors(self.handle, _ptr_array(params), _ptr_array(grads),
                                                 _ptr_array(momentum), stream),
              "lioncubLionStepTensors")

    def set_lr(self, lr):
        check(_capi.lib().lioncubLionSetLr(self.handle, float(lr)), "lioncubLionSetLr")

    def stats(self):
        st = _capi.LionStats()
        check(_capi.lib().lioncubLionGetStats(self.handle, ctypes.byref(st)), "lioncubLionGetStats")
        return {
            "step": st.step, "algorithm": algorithm_name(st.algorithm),
            "bytes_sent": st.bytesSent, "bytes_received": st.bytesReceived,
            "seconds_encode": st.secondsEncode, "seconds_apply": st.secondsApply,
            "seconds_exchange": st.secondsExchange, "seconds_sync": st.secondsSync,
            "seconds_total": st.secondsTotal, "momentum_synced": bool(st.momentumSynced),
            "non_finite": bool(st.nonFinite),
        }

    def save_state(self):
        size = ctypes.c_size_t()
        check(_capi.lib().lioncubLionStateSize(self.handle, ctypes.byref(size)), "lioncubLionStateSize")
        buf = ctypes.create_string_buffer(size.value)
        check(_capi.lib().lioncubLionSaveState(self.handle, buf, size.value), "lioncubLionSaveState")
        return buf.raw

    def load_state(self, data):
        data = bytes(data)
        buf = ctypes.create_string_buffer(data, len(data))
        check(_capi.lib().lioncubLionLoadState(self.handle, buf, len(data)), "lioncubLionLoadState")

    def close(self):
        if self._h:
            _capi.lib().lioncubLionDestroy(self._h)
            self._h = ctypes.c_void_p()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
