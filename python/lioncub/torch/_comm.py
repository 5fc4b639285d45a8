"""Communicators for lioncub.torch: lioncub's rendezvous goes through torch's own key-value store,
so lioncub never needs a port that torch (or torchrun's agent) already holds.

- torch.distributed initialized: the default store (a PrefixStore per group), ranks of `group`.
- otherwise, from the launcher environment: torchrun's RANK / WORLD_SIZE / MASTER_ADDR /
  MASTER_PORT (a client of torchrun's agent store when TORCHELASTIC_USE_AGENT_STORE=True, else
  rank 0 hosts a torch TCPStore there, exactly what init_process_group would do), or lioncub's
  LIONCUB_RANK / LIONCUB_WORLD_SIZE / LIONCUB_ROOT (scripts/cluster.sh): rank 0 hosts a torch
  TCPStore on LIONCUB_ROOT.
Every lioncub communicator then gets a fresh rendezvous: rank 0 binds an ephemeral port (the
kernel's choice, so it cannot collide with MASTER_PORT or anything else bound), publishes
"address:port" under a key unique to that communicator, and the others read it from the store.
CUDA tensors: rank 0 creates an NCCL unique id and publishes it the same way."""

import ctypes
import datetime
import itertools
import os
import socket

import torch
import torch.distributed as dist

from .. import Comm

# Keys used per store namespace (one per group), in the same order on every member of that group:
# a per-group count stays in step even when other groups create communicators in between.
_serials = {}
_env_stores = {}  # launcher mode: the TCPStore of this process, kept for the process's lifetime


class Rendezvous:
    """The store, this process's rank and the number of ranks, shared by a Lion's communicators."""

    def __init__(self, group=None, timeout_s=300.0):
        self.group = None
        self._owned_store = None
        if dist.is_available() and dist.is_initialized():
            g = group if group is not None else dist.group.WORLD
            self.group = g
            self.rank = dist.get_rank(g)
            self.size = dist.get_world_size(g)
            if self.rank < 0:
                raise ValueError("lioncub: this process is not a member of `group`")
            ranks = sorted(dist.get_process_group_ranks(g)) if g is not dist.group.WORLD else None
            prefix = "lioncub/" + ("world" if ranks is None else "g" + "-".join(map(str, ranks))) + "/"
            self.store = dist.PrefixStore(prefix, dist.distributed_c10d._get_default_store())
            self._ns = prefix
            self._peer_host = os.environ.get("MASTER_ADDR")
        elif group is not None:
            raise ValueError("lioncub: group= given but torch.distributed is not initialized")
        else:
            self._from_env(timeout_s)

    def _from_env(self, timeout_s):
        env = os.environ
        timeout = datetime.timedelta(seconds=timeout_s)
        if "LIONCUB_WORLD_SIZE" in env or "LIONCUB_RANK" in env:
            self.rank, self.size = int(env.get("LIONCUB_RANK", 0)), int(env.get("LIONCUB_WORLD_SIZE", 1))
            root = env.get("LIONCUB_ROOT", "")
            is_master, agent = self.rank == 0, False
        elif "WORLD_SIZE" in env:
            self.rank, self.size = int(env.get("RANK", 0)), int(env["WORLD_SIZE"])
            root = f"{env.get('MASTER_ADDR', '')}:{env.get('MASTER_PORT', '')}"
            agent = env.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
            is_master = self.rank == 0 and not agent
        else:
            self.rank, self.size = 0, 1
            root = ""
        if not 0 <= self.rank < self.size:
            raise ValueError(f"lioncub: rank {self.rank} outside [0, {self.size}) in the environment")
        self.store = None
        self._peer_host = None
        if self.size > 1:
            host, _, port = root.rpartition(":")
            host = host.strip("[]")
            if not host or not port.isdigit():
                raise ValueError(f"lioncub: {self.size} ranks but no rendezvous address in the "
                                 "environment (LIONCUB_ROOT=host:port or MASTER_ADDR/MASTER_PORT)")
            key = (host, int(port), self.size, is_master)
            if key not in _env_stores:  # one per process: every Lion shares it (one port)
                _env_stores[key] = dist.TCPStore(host, int(port), self.size, is_master,
                                                 timeout=timeout, wait_for_workers=False)
            self._owned_store = _env_stores[key]
            self.store = dist.PrefixStore("lioncub/env/", self._owned_store)
            self._peer_host = host
        self._ns = "lioncub/env/"

    def _local_address(self):
        """This host's address as the other ranks reach it: LIONCUB_HOST_ADDR, else the source
        address of the route to the rendezvous host, else the host name's address."""
        addr = os.environ.get("LIONCUB_HOST_ADDR")
        if addr:
            return addr
        if self._peer_host:
            try:
                family = socket.AF_INET6 if ":" in self._peer_host else socket.AF_INET
                with socket.socket(family, socket.SOCK_DGRAM) as s:
                    s.connect((self._peer_host, 9))  # UDP connect sends nothing: it picks the route
                    return s.getsockname()[0]
            except OSError:
                pass
        try:
            return socket.gethostbyname(socket.gethostname())
        except OSError:
            return "127.0.0.1"

    def next_key(self):
        return f"c{next(_serials.setdefault(self._ns, itertools.count()))}"

    def host_comm(self):
        if self.size == 1:
            return Comm.host(1, 0)
        key = self.next_key()
        if self.rank == 0:
            addr = self._local_address()
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as s:  # an ephemeral port, free now
                s.bind(("", 0))
                port = s.getsockname()[1]
            self.store.set(key, f"[{addr}]:{port}" if family == socket.AF_INET6 else f"{addr}:{port}")
        rendezvous = self.store.get(key).decode()
        return Comm.host(self.size, self.rank, rendezvous)

    def nccl_comm(self, device):
        """lioncub's own NCCL communicator on `device` (the NCCL library torch loaded), from a
        unique id that rank 0 publishes through the store."""
        nccl = _nccl()
        uid = _NcclUniqueId()
        key = self.next_key()
        if self.rank == 0:
            _nccl_check(nccl.ncclGetUniqueId(ctypes.byref(uid)), "ncclGetUniqueId")
            self.store.set(key, bytes(bytearray(uid.internal)))
        raw = self.store.get(key)
        ctypes.memmove(ctypes.byref(uid), raw, len(raw))
        comm = ctypes.c_void_p()
        with torch.cuda.device(device):
            _nccl_check(nccl.ncclCommInitRank(ctypes.byref(comm), self.size, uid, self.rank),
                        "ncclCommInitRank")
        return Comm.nccl(comm.value, owned_nccl=(lambda c: nccl.ncclCommDestroy(c), comm))

    def any_flag(self, flag, tensor_device=None):
        """True on every rank when `flag` is true on any rank (GradScaler's skip decision)."""
        if self.size == 1:
            return bool(flag)
        if self.group is not None:
            dev = tensor_device if (tensor_device is not None and
                                    dist.get_backend(self.group) == "nccl") else "cpu"
            t = torch.tensor([1.0 if flag else 0.0], device=dev)
            dist.all_reduce(t, op=dist.ReduceOp.MAX, group=self.group)
            return bool(t.item() > 0)
        # Launcher mode: two counters in the store; rank 0 deletes the previous round's keys
        # (every rank has read them before it joins this round).
        n = next(_serials.setdefault(self._ns, itertools.count()))
        self.store.add(f"f{n}/any", 1 if flag else 0)
        self.store.add(f"f{n}/arrived", 1)
        self.store.wait([f"f{n}/done"]) if self.rank != 0 else self._wait_all(n)
        return self.store.add(f"f{n}/any", 0) > 0

    def _wait_all(self, n):
        import time
        while self.store.add(f"f{n}/arrived", 0) < self.size:
            time.sleep(0.0005)
        self.store.set(f"f{n}/done", "1")
        prev, self._flag_round = getattr(self, "_flag_round", None), n
        if prev is not None:  # every rank read round prev before it joined round n
            for k in ("any", "arrived", "done"):
                self.store.delete_key(f"f{prev}/{k}")

    def close(self):
        self._owned_store = None


class _NcclUniqueId(ctypes.Structure):
    _fields_ = [("internal", ctypes.c_ubyte * 128)]  # NCCL_UNIQUE_ID_BYTES


_nccl_lib = None


def _nccl():
    """The NCCL that this process already uses (torch's), by soname: no second NCCL."""
    global _nccl_lib
    if _nccl_lib is None:
        try:
            lib = ctypes.CDLL("libnccl.so.2", mode=ctypes.RTLD_GLOBAL)
        except OSError as e:
            raise RuntimeError(f"lioncub: CUDA tensors need NCCL (libnccl.so.2): {e}") from e
        lib.ncclGetUniqueId.argtypes = [ctypes.POINTER(_NcclUniqueId)]
        lib.ncclCommInitRank.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int,
                                         _NcclUniqueId, ctypes.c_int]
        lib.ncclCommDestroy.argtypes = [ctypes.c_void_p]
        lib.ncclGetErrorString.restype = ctypes.c_char_p
        _nccl_lib = lib
    return _nccl_lib


def _nccl_check(result, what):
    if result != 0:
        raise RuntimeError(f"lioncub: {what} failed: {_nccl().ncclGetErrorString(result).decode()}")
