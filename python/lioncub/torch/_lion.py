"""lioncub.torch.Lion: lion_pytorch.Lion's constructor, defaults and update rule, stepping through
lioncubLionStepTensors so that data-parallel ranks exchange 1- or 2-bit codes. See docs/pytorch.md."""

import time

import torch

from .. import LionOptimizer, make_config, _capi
from ._comm import Rendezvous

_DTYPES = {torch.float32: _capi.FLOAT32, torch.bfloat16: _capi.BFLOAT16}
_STAT_SUMS = ("bytes_sent", "bytes_received", "seconds_encode", "seconds_apply",
              "seconds_exchange", "seconds_sync", "seconds_total")


_PAD_ALWAYS = False  # tests set it to run the device path's padding on the CPU


class _Part:
    """One lioncub optimizer (and its own communicator: the optimizer's thread owns it) over the
    parameters of one group that share a dtype and a device."""

    def __init__(self, group_index, params, indices, comm, device):
        self.group_index, self.params, self.indices = group_index, params, indices
        self.comm, self.device, self.lion = comm, device, None
        # lioncub's device path needs every tensor to start at a multiple of 32 elements of the
        # flat space (docs/optimizer.md): after each tensor whose size is not a multiple of 32,
        # a small padding slot (its own zero parameter, gradient and momentum) fills the word.
        self.numels, self.pads = [], {}
        for i, p in enumerate(params):
            self.numels.append(p.numel())
            if (device.type == "cuda" or _PAD_ALWAYS) and p.numel() % 32 and i + 1 < len(params):
                n = 32 - p.numel() % 32
                self.pads[i] = [torch.zeros(n, dtype=p.dtype, device=device) for _ in range(3)]
                self.numels.append(n)

    def pointers(self, tensors, which):
        """Pointers for lioncubLionStepTensors: the tensors' with the padding slots between."""
        out = []
        for i, t in enumerate(tensors):
            out.append(t.data_ptr())
            if i in self.pads:
                out.append(self.pads[i][which].data_ptr())
        return out

    def build(self, group, dtype, wd_scale, settings):
        """(Re)creates the lioncub optimizer with the group's hyperparameters (collective)."""
        if self.lion is not None:
            self.lion.close()
            self.lion = None
        cfg = make_config(group["lr"], group["betas"], group["weight_decay"] * wd_scale, **settings)
        self.lion = LionOptimizer(self.comm, self.numels, _DTYPES[dtype], cfg)
        self.hyper = (tuple(group["betas"]), group["weight_decay"])
        self.lion_lr = group["lr"]

    def close(self):
        self.lion.close()
        self.comm.close()


class Lion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023) with Lion Cub's compressed data-parallel exchange.

    The same constructor, defaults and update as lion_pytorch.Lion:
        c = beta1*m + (1-beta1)*g;  p = p*(1 - lr*wd) - lr*u;  m = beta2*m + (1-beta2)*g
    with u = sign(c) on one rank or with algorithm="full" (gradients averaged first), and the
    majority vote / sign of the ternary sum of every rank's sign(c) otherwise. After every step
    all ranks hold the same parameters.

    Keyword-only: algorithm ("auto", "full", "allgather-vote", "alltoall-vote", "quant2-rs",
    "packed-sum"), code (None: the algorithm's; "sign" or "ternary"), tie ("zero" or
    "alternate"), momentum_sync (None, K: every K steps, ("exponential", k)), bucket_mb (None:
    lioncub's 1 MiB), group (a torch.distributed process group; default: the default group, or the
    launcher environment when torch.distributed is not initialized).

    Construction is collective: every rank builds the optimizer with the same parameter shapes,
    dtypes and settings (checked; an exception on every rank otherwise) and the same values
    (checked with a checksum). Parameters with requires_grad=False are left out. A parameter whose
    .grad is None at a step contributes a zero gradient (every rank's choice is its own, so the
    collectives still match); lion_pytorch would skip it instead. Only lr is read at every step
    (schedulers work); changing betas or weight_decay after construction raises."""

    _step_supports_amp_scaling = True  # GradScaler hands us grad_scale / found_inf (see step)

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, use_triton=False,
                 decoupled_weight_decay=False, *, algorithm="auto", code=None, tie="zero", momentum_sync=None, bucket_mb=None,
                 group=None, check_params=True):
        if not lr >= 0.0:
            raise ValueError(f"lioncub: invalid lr {lr}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"lioncub: betas must be in [0, 1), not {betas}")
        if not weight_decay >= 0.0:
            raise ValueError(f"lioncub: invalid weight_decay {weight_decay}")
        self._settings = dict(algorithm=algorithm, code=code, tie=tie, momentum_sync=momentum_sync,
                              bucket_mb=bucket_mb)
        make_config(lr, betas, weight_decay, **self._settings)  # validates the settings here
        self._check_params = check_params
        # lion_pytorch's decoupled_weight_decay divides wd by the initial lr (wd is then the decay
        # per unit of lr); the rule is fixed at construction here as well.
        self._wd_scale = 1.0 / lr if decoupled_weight_decay and lr > 0 else 1.0
        self._parts = []
        self._rdv = Rendezvous(group)
        self.last_stats = None
        super().__init__(params, dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay))

    # ---- layout -------------------------------------------------------------------------------
    def add_param_group(self, param_group):
        super().add_param_group(param_group)  # collective from here on: every rank adds the group
        gi = len(self.param_groups) - 1
        group = self.param_groups[gi]
        base = sum(len(g["params"]) for g in self.param_groups[:gi])
        by_key = {}
        for j, p in enumerate(group["params"]):
            if not isinstance(p, torch.Tensor):
                raise TypeError(f"lioncub: parameters must be tensors, not {type(p).__name__}")
            if not p.requires_grad:
                continue
            if p.dtype not in _DTYPES:
                raise TypeError(f"lioncub: parameter {base + j} is {p.dtype}; lioncub takes "
                                "float32 and bfloat16 parameters")
            if p.is_sparse or not p.is_contiguous():
                raise ValueError(f"lioncub: parameter {base + j} is not a contiguous dense tensor "
                                 "(lioncub updates parameters in place through their storage)")
            if p.device.type not in ("cpu", "cuda"):
                raise ValueError(f"lioncub: parameter {base + j} is on {p.device}; lioncub takes "
                                 "CPU and CUDA tensors")
            by_key.setdefault((p.dtype, p.device), []).append((base + j, p))
        devices = {d for (_, d) in by_key} | {part.device for part in self._parts}
        if len(devices) > 1:
            raise ValueError(f"lioncub: parameters on several devices ({sorted(map(str, devices))}); "
                             "one Lion takes the parameters of one device")
        for (dtype, device), items in sorted(by_key.items(), key=lambda kv: str(kv[0])):
            params = [p for _, p in items]
            for p in params:
                self.state[p].setdefault("exp_avg", torch.zeros_like(p, memory_format=torch.contiguous_format))
            if self._check_params:
                self._check_same_values(params)
            comm = (self._rdv.nccl_comm(device) if device.type == "cuda" else self._rdv.host_comm())
            part = _Part(gi, params, [i for i, _ in items], comm, device)
            try:
                part.build(group, dtype, self._wd_scale, self._settings)
            except Exception:
                comm.close()
                raise
            self._parts.append(part)

    def _check_same_values(self, params):
        """Every rank must start from the same parameters (DDP broadcasts them; without DDP a
        different seed per rank is a classic mistake): compare a checksum through the store."""
        if self._rdv.size == 1:
            return
        with torch.no_grad():
            s = sum(float(p.detach().double().sum()) + 1e-3 * float(p.detach().double().abs().sum())
                    for p in params)
        key = self._rdv.next_key()
        store = self._rdv.store
        store.set(f"{key}/{self._rdv.rank}", repr(s))
        others = [float(store.get(f"{key}/{r}").decode()) for r in range(self._rdv.size)]
        # Every rank reads every checksum, and rank 0 (which may host the store) waits until all
        # have finished with the store, before anyone raises: an exiting rank 0 must not turn the
        # others' clear error into a lost connection.
        for phase in ("read", "ack"):
            store.add(f"{key}/{phase}", 1)
            if phase == "read" or self._rdv.rank == 0:
                while store.add(f"{key}/{phase}", 0) < self._rdv.size:
                    time.sleep(0.001)
        for r, other in enumerate(others):
            if abs(other - s) > 1e-9 * max(1.0, abs(s)):
                raise ValueError(f"lioncub: rank {self._rdv.rank}: parameters differ from rank {r}'s "
                                 f"at construction (checksum {s!r} vs {other!r}); start every rank "
                                 "from the same weights (same seed, or broadcast them)")

    # ---- step ---------------------------------------------------------------------------------
    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        grad_scale = getattr(self, "grad_scale", None)
        found_inf = getattr(self, "found_inf", None)
        if found_inf is not None:
            # GradScaler: skip the step on every rank when any rank saw inf/NaN (gradients are
            # local here, unlike DDP's averaged ones, so the decision must be aggregated).
            dev = self._parts[0].device if self._parts else None
            if self._rdv.any_flag(bool(found_inf.item() > 0), dev):
                self.last_stats = {"skipped": True, "non_finite": True}
                return loss
        if grad_scale is not None:
            inv = 1.0 / grad_scale.double().item()  # a power of two: unscaling is exact
        per_part = []
        for part in self._parts:
            group = self.param_groups[part.group_index]
            self._check_fixed(part, group)
            if part.lion_lr != group["lr"]:
                part.lion.set_lr(group["lr"])
                part.lion_lr = group["lr"]
            grads, keep = [], []
            for p in part.params:
                g = p.grad
                if g is None:
                    g = torch.zeros_like(p, memory_format=torch.contiguous_format)
                elif g.dtype != p.dtype or g.device != p.device or g.shape != p.shape:
                    raise TypeError(f"lioncub: a gradient is {g.dtype} {tuple(g.shape)} on {g.device}, "
                                    f"its parameter {p.dtype} {tuple(p.shape)} on {p.device}")
                elif g.is_sparse:
                    raise TypeError("lioncub: sparse gradients are not supported")
                elif not g.is_contiguous():
                    g = g.contiguous()
                if grad_scale is not None:
                    g = g * inv if g is p.grad else g.mul_(inv)
                if not p.is_contiguous():
                    raise ValueError("lioncub: a parameter is no longer contiguous")
                m = self.state[p]["exp_avg"]
                if not m.is_contiguous() or m.dtype != p.dtype or m.device != p.device:
                    m = self.state[p]["exp_avg"] = m.to(device=p.device, dtype=p.dtype).contiguous()
                grads.append(g)
                keep.append(m)
            stream = (torch.cuda.current_stream(part.device).cuda_stream
                      if part.device.type == "cuda" else None)
            part.lion.step(part.pointers(part.params, 0), part.pointers(grads, 1),
                           part.pointers(keep, 2), stream)
            for p in part.params:  # written through the pointer: tell autograd they changed
                _bump_version(p)
            per_part.append(part.lion.stats())
        self.last_stats = _combine(per_part)
        return loss

    def _check_fixed(self, part, group):
        if part.hyper != (tuple(group["betas"]), group["weight_decay"]):
            raise ValueError("lioncub: betas and weight_decay are fixed at construction "
                             "(only lr may change between steps)")

    # ---- state --------------------------------------------------------------------------------
    def state_dict(self):
        sd = super().state_dict()
        sd["lioncub"] = {
            "layout": [(p.group_index, str(p.params[0].dtype), p.indices) for p in self._parts],
            "states": [p.lion.save_state() for p in self._parts],
        }
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        extra = state_dict.pop("lioncub", None)
        super().load_state_dict(state_dict)
        if extra is None:
            return
        layout = [(p.group_index, str(p.params[0].dtype), p.indices) for p in self._parts]
        if [tuple(x) for x in extra["layout"]] != [tuple(x) for x in layout]:
            raise ValueError("lioncub: the state_dict comes from an optimizer over other parameters "
                             f"({extra['layout']} vs {layout})")
        for part, blob in zip(self._parts, extra["states"]):
            group = self.param_groups[part.group_index]
            if part.hyper != (tuple(group["betas"]), group["weight_decay"]):
                # the saved betas / weight decay differ from the construction's: every rank loads
                # the same state_dict, so every rank rebuilds (collectively) here
                part.build(group, part.params[0].dtype, self._wd_scale, self._settings)
            part.lion.load_state(blob)
            part.lion.set_lr(group["lr"])
            part.lion_lr = group["lr"]

    def close(self):
        """Destroys the lioncub optimizers and communicators (also done at garbage collection)."""
        for part in self._parts:
            part.close()
        self._parts = []

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _bump_version(t):
    try:
        torch.autograd.graph.increment_version(t)
    except (AttributeError, RuntimeError):
        pass


def _combine(stats):
    if not stats:
        return {"skipped": False, "non_finite": False, "algorithm": None}
    out = {k: sum(s[k] for s in stats) for k in _STAT_SUMS}
    out.update(step=stats[0]["step"], algorithm=stats[0]["algorithm"],
               momentum_synced=any(s["momentum_synced"] for s in stats),
               non_finite=any(s["non_finite"] for s in stats), skipped=False, parts=stats)
    return out
