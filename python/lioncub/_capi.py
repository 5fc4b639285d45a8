"""ctypes bindings of lioncub's C API (include/lioncub/*.h): the one place that mirrors the
headers' structs and signatures. Loading needs no torch and no CUDA.

The library is, in order: $LIONCUB_LIBRARY (a path), else liblioncub.so inside this package
(what `pip install .` puts there, next to libnccl-net-lioncub.so, where the library looks for its
net plugin)."""

import ctypes
import os

# ---- enums (types.h, comm.h, optimizer.h) -----------------------------------------------------
SUCCESS = 0
RESULT_NAMES = {
    0: "lioncubSuccess", 1: "lioncubInvalidArgument", 2: "lioncubInvalidUsage",
    3: "lioncubNotSupported", 4: "lioncubSystemError", 5: "lioncubCudaError",
    6: "lioncubNcclError", 7: "lioncubRemoteError", 8: "lioncubTimeout",
    9: "lioncubInternalError",
}
FLOAT32, BFLOAT16, FLOAT16 = 0, 1, 2
MEM_HOST, MEM_DEVICE = 0, 1
CODE_SIGN, CODE_TERNARY = 0, 1
TIE_ZERO, TIE_ALTERNATE = 0, 1
SYNC_NEVER, SYNC_EVERY, SYNC_EXPONENTIAL = 0, 1, 2
ALGORITHMS = ("auto", "allgather-vote", "alltoall-vote", "quant2-rs", "packed-sum", "full", "mean",
              "hierarchical-vote")


class LionConfig(ctypes.Structure):
    """lioncubLionConfig_t (optimizer.h). Always filled by lioncubLionConfigDefault first; when the
    header's struct changes, change only this definition. The leading size/magic/version are
    filled by lioncubLionConfigDefault and checked by the library."""
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("magic", ctypes.c_uint),
        ("version", ctypes.c_uint),
        ("lr", ctypes.c_float),
        ("beta1", ctypes.c_float),
        ("beta2", ctypes.c_float),
        ("weightDecay", ctypes.c_float),
        ("algorithm", ctypes.c_int),
        ("code", ctypes.c_int),
        ("tie", ctypes.c_int),
        ("ternaryAlpha", ctypes.c_float),
        ("ternaryBlock", ctypes.c_uint32),
        ("bucketBytes", ctypes.c_size_t),
        ("momentumSync", ctypes.c_int),
        ("momentumSyncEvery", ctypes.c_uint32),
        ("momentumSyncExpK", ctypes.c_float),
        ("momentumSyncTensors", ctypes.POINTER(ctypes.c_int)),
        ("numMomentumSyncTensors", ctypes.c_int),
    ]


class LionStats(ctypes.Structure):
    """lioncubLionStats_t (optimizer.h)."""
    _fields_ = [
        ("step", ctypes.c_uint64),
        ("algorithm", ctypes.c_int),
        ("bytesSent", ctypes.c_uint64),
        ("bytesReceived", ctypes.c_uint64),
        ("secondsEncode", ctypes.c_double),
        ("secondsApply", ctypes.c_double),
        ("secondsExchange", ctypes.c_double),
        ("secondsSync", ctypes.c_double),
        ("secondsTotal", ctypes.c_double),
        ("momentumSynced", ctypes.c_int),
        ("nonFinite", ctypes.c_int),
    ]


class CollStats(ctypes.Structure):
    """lioncubCollStats_t (comm.h)."""
    _fields_ = [
        ("algorithm", ctypes.c_int),
        ("bytesSent", ctypes.c_uint64),
        ("bytesReceived", ctypes.c_uint64),
        ("secondsExchange", ctypes.c_double),
        ("secondsReduce", ctypes.c_double),
        ("secondsGather", ctypes.c_double),
        ("secondsTotal", ctypes.c_double),
    ]


_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_sz = ctypes.c_size_t
_int = ctypes.c_int
_res = ctypes.c_int
_SIGNATURES = {
    "lioncubGetErrorString": (ctypes.c_char_p, [_res]),
    "lioncubGetLastErrorMessage": (ctypes.c_char_p, []),
    "lioncubGetVersion": (None, [ctypes.POINTER(_int)] * 3),
    "lioncubHasCuda": (_int, []),
    "lioncubCudaDeviceCount": (_int, []),
    "lioncubCommInitHost": (_res, [_pp, _int, _int, ctypes.c_char_p]),
    "lioncubCommInitFromEnv": (_res, [_pp]),
    "lioncubCommInitNccl": (_res, [_pp, _p]),
    "lioncubCommDestroy": (_res, [_p]),
    "lioncubCommRank": (_res, [_p, ctypes.POINTER(_int)]),
    "lioncubCommSize": (_res, [_p, ctypes.POINTER(_int)]),
    "lioncubCommMemory": (_res, [_p, ctypes.POINTER(_int)]),
    "lioncubAlgorithmName": (ctypes.c_char_p, [_int]),
    "lioncubAlgorithmFromName": (_res, [ctypes.c_char_p, ctypes.POINTER(_int)]),
    "lioncubAllreduce": (_res, [_p, _int, _p, _p, _sz, _int, _int, ctypes.POINTER(CollStats), _p]),
    "lioncubLionConfigDefault": (_res, [ctypes.POINTER(LionConfig)]),
    "lioncubLionCreate": (_res, [_pp, _p, _sz, _int, ctypes.POINTER(LionConfig)]),
    "lioncubLionCreateTensors": (_res, [_pp, _p, _int, ctypes.POINTER(_sz), _int,
                                        ctypes.POINTER(LionConfig)]),
    "lioncubLionDestroy": (_res, [_p]),
    "lioncubLionStep": (_res, [_p, _p, _p, _p, _p]),
    "lioncubLionStepTensors": (_res, [_p, _pp, _pp, _pp, _p]),
    "lioncubLionSetLr": (_res, [_p, ctypes.c_float]),
    "lioncubLionGetStats": (_res, [_p, ctypes.POINTER(LionStats)]),
    "lioncubLionStateSize": (_res, [_p, ctypes.POINTER(_sz)]),
    "lioncubLionSaveState": (_res, [_p, _p, _sz]),
    "lioncubLionLoadState": (_res, [_p, _p, _sz]),
}


class LioncubError(RuntimeError):
    """A lioncub call failed: `code` is the lioncubResult_t, the message lioncub's own."""

    def __init__(self, code, message):
        self.code = code
        super().__init__(message)


_lib = None


def library_path():
    env = os.environ.get("LIONCUB_LIBRARY")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "liblioncub.so")


def lib():
    """The loaded library (loaded on first use, so `import lioncub` never fails)."""
    global _lib
    if _lib is None:
        path = library_path()
        if not os.path.exists(path):
            raise OSError(f"lioncub: {path} not found (install the package with `pip install .` "
                          "from the repository root, or set LIONCUB_LIBRARY to a built liblioncub.so)")
        handle = ctypes.CDLL(path)
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(handle, name)
            fn.restype = restype
            fn.argtypes = argtypes
        _lib = handle
    return _lib


def check(result, what=""):
    """Raises LioncubError with lioncub's last error message when `result` is not success."""
    if result == SUCCESS:
        return
    msg = lib().lioncubGetLastErrorMessage()
    msg = msg.decode(errors="replace") if msg else ""
    name = RESULT_NAMES.get(result, f"lioncub result {result}")
    raise LioncubError(result, f"{what}: {name}: {msg}" if what else f"{name}: {msg}")
