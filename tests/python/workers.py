"""One rank of a multi-process test (started by launch.run_ranks). Exits 0 when every check held.

Modes: algos STEPS (every algorithm and code against a reference built from all ranks' gradients),
features (state_dict round trip, GradScaler skip, DDP hook), killed (rank 1 dies mid-run),
mismatch-shape / mismatch-values (construction must fail on every rank)."""
import io
import os
import signal
import sys

import torch
import torch.distributed as dist

import lioncub
from lioncub.torch import Lion, ddp_comm_hook

RANK, P = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
SHAPES = [(37,), (5, 7), (129,)]
F32 = torch.float32


def log(*a):
    print(f"[rank {RANK}]", *a, flush=True)


def grads_of(rank, step, seed=1):
    g = torch.Generator().manual_seed(seed * 1000003 + rank * 1009 + step)
    out = [torch.randn(s, generator=g, dtype=F32) for s in SHAPES]
    if step == 0:
        out[0][:3] = 0.0  # c == 0 exactly: sign bit 0, ternary 0
    return out


def init_params(seed=7):
    g = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(s, generator=g, dtype=F32)) for s in SHAPES]


def f32(x):
    return torch.tensor(x, dtype=F32)


class Reference:
    """Lion Cub's step on all ranks' gradients, in float32 with lioncub's operation order
    (kernels/lion_math.h: no fused multiply-add)."""

    def __init__(self, algo, code, tie, lr, b1, b2, wd, sync_every):
        self.algo, self.code, self.tie = algo, code, tie
        self.lr, self.b1, self.b2, self.wd = f32(lr), f32(b1), f32(b2), f32(wd)
        self.sync_every = sync_every
        self.m = [[torch.zeros(s, dtype=F32) for s in SHAPES] for _ in range(P)]
        self.step_no = 0

    def c(self, m, g):
        return self.b1 * m + (f32(1.0) - self.b1) * g

    def tie_value(self):
        if self.tie == "zero":
            return 0.0
        return 1.0 if self.step_no % 2 == 0 else -1.0

    def step(self, params, grads_all):
        """New params (list) and the |c| below which a sign may legitimately differ."""
        out, near = [], []
        decay = f32(1.0) - self.lr * self.wd
        for t in range(len(SHAPES)):
            if self.algo == "full" or P == 1:
                gm = (torch.stack([grads_all[r][t] for r in range(P)]).double().mean(0)).float()
                c = self.c(self.m[0][t], gm)
                u = torch.sign(c)
                cabs = c.abs()
                for r in range(P):
                    self.m[r][t] = self.b2 * self.m[r][t] + (f32(1.0) - self.b2) * gm
            else:
                cs = [self.c(self.m[r][t], grads_all[r][t]) for r in range(P)]
                cabs = torch.stack([c.abs() for c in cs]).min(0).values
                if self.code == "sign":
                    count = sum((c > 0).int() for c in cs)
                    u = torch.where(2 * count > P, 1.0, -1.0)
                    u = torch.where(2 * count == P, self.tie_value(), u)
                else:
                    s = sum(torch.sign(c).int() for c in cs)
                    u = torch.where(s == 0, self.tie_value(), torch.sign(s).float())
                for r in range(P):
                    self.m[r][t] = self.b2 * self.m[r][t] + (f32(1.0) - self.b2) * grads_all[r][t]
            if self.sync_every and (self.step_no + 1) % self.sync_every == 0:
                mean = torch.stack([self.m[r][t] for r in range(P)]).double().mean(0).float()
                for r in range(P):
                    self.m[r][t] = mean.clone()
            out.append(params[t] * decay - self.lr * u.float())
            near.append(cabs)
        self.step_no += 1
        return out, near


def gather(t):
    parts = [torch.empty_like(t) for _ in range(P)]
    dist.all_gather(parts, t.contiguous())
    return parts


def check_identical(params, what):
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    for r, other in enumerate(gather(flat)):
        if not torch.equal(other.view(torch.int32), flat.view(torch.int32)):
            raise AssertionError(f"{what}: rank {r}'s parameters differ from rank {RANK}'s")


def compare(actual, ref, near, tol, what):
    """Elements may differ only where |c| is within rounding of 0; returns how many did."""
    n = 0
    for a, b, cabs in zip(actual, ref, near):
        diff = a.detach() != b
        if diff.any():
            bad = diff & (cabs > tol)
            if bad.any():
                i = int(bad.reshape(-1).nonzero()[0])
                raise AssertionError(f"{what}: element {i}: {a.reshape(-1)[i].item()!r} vs "
                                     f"reference {b.reshape(-1)[i].item()!r}, |c| = {cabs.reshape(-1)[i].item()}")
            n += int(diff.sum())
    return n


def mode_algos(steps):
    configs = [
        ("full", None, "zero", None), ("allgather-vote", "sign", "zero", None),
        ("allgather-vote", "sign", "alternate", None), ("alltoall-vote", "sign", "zero", None),
        ("alltoall-vote", "sign", "alternate", None), ("quant2-rs", "ternary", "zero", None),
        ("quant2-rs", "ternary", "alternate", 2), ("packed-sum", "sign", "zero", None),
        ("packed-sum", "ternary", "alternate", None), ("auto", "sign", "zero", None),
        ("auto", "ternary", "zero", 3),
    ]
    lr, betas, wd = 0.01, (0.9, 0.99), 0.1
    total_near = 0
    for algo, code, tie, sync in configs:
        what = f"P={P} {algo}/{code}/tie={tie}/sync={sync}"
        params = init_params()
        opt = Lion(params, lr=lr, betas=betas, weight_decay=wd, algorithm=algo, code=code, tie=tie,
                   momentum_sync=sync, bucket_mb=64 * 4 / 2**20)  # small buckets: several per step
        ref = Reference(algo, code or "sign", tie, lr, *betas, wd, sync)
        for s in range(steps):
            gall = [grads_of(r, s) for r in range(P)]
            for p, g in zip(params, gall[RANK]):
                p.grad = g.clone()
            before = [p.detach().clone() for p in params]
            opt.step()
            expect, near = ref.step(before, gall)
            check_identical(params, f"{what} step {s}")
            total_near += compare(params, expect, near, 1e-5, f"{what} step {s}")
            st = opt.last_stats
            assert st["step"] == s and st["bytes_sent"] > 0, st
        log(f"{what}: ok, algorithm ran: {opt.last_stats['algorithm']}")
        opt.close()
    log(f"elements that differed where |c| < 1e-5: {total_near}")
    assert total_near <= 3, total_near


def train_steps(params, opt, start, steps):
    for s in range(start, start + steps):
        for p, g in zip(params, grads_of(RANK, s, seed=3)):
            p.grad = g
        opt.step()


def mode_features():
    # state_dict round trip mid-run: continue bit for bit (tie alternation and the sync schedule
    # depend on lioncub's own step counter, which travels in the state_dict).
    kw = dict(lr=0.02, weight_decay=0.05, algorithm="quant2-rs", tie="alternate",
              momentum_sync=("exponential", 1.0))
    params = init_params()
    opt = Lion(params, **kw)
    train_steps(params, opt, 0, 4)
    buf = io.BytesIO()
    torch.save({"params": [p.detach().clone() for p in params], "opt": opt.state_dict()}, buf)
    train_steps(params, opt, 4, 5)
    opt.close()
    buf.seek(0)
    saved = torch.load(buf, weights_only=False)
    params2 = [torch.nn.Parameter(t.clone()) for t in saved["params"]]
    opt2 = Lion(params2, **kw)
    opt2.load_state_dict(saved["opt"])
    train_steps(params2, opt2, 4, 5)
    for a, b in zip(params, params2):
        assert torch.equal(a.view(torch.int32), b.view(torch.int32)), "resumed run differs"
    opt2.close()
    log("state_dict round trip: ok")

    # GradScaler: a non-finite gradient on rank 1 only skips the step on every rank.
    model = torch.nn.Linear(16, 4)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(5)))
    opt = Lion(model.parameters(), lr=0.01, algorithm="alltoall-vote")
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    x = torch.randn(8, 16, generator=torch.Generator().manual_seed(100 + RANK))
    for s in range(4):
        opt.zero_grad()
        scaler.scale(model(x).square().mean()).backward()
        if s == 2 and RANK == 1:
            model.weight.grad[0, 0] = float("inf")
        before = [p.detach().clone() for p in model.parameters()]
        scaler.step(opt)
        scaler.update()
        skipped = opt.last_stats["skipped"]
        assert skipped == (s == 2), (s, opt.last_stats)
        changed = any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
        assert changed != skipped, (s, changed)
        check_identical(list(model.parameters()), f"GradScaler step {s}")
    opt.close()
    log("GradScaler skip: ok")

    # DDP with the hook: gradients stay local (equal to a plain model's on the same data), and
    # lioncub's step keeps the replicas identical.
    from torch.nn.parallel import DistributedDataParallel as DDP
    torch.manual_seed(RANK)  # different on purpose: DDP broadcasts rank 0's weights
    net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    ddp = DDP(net)
    ddp.register_comm_hook(None, ddp_comm_hook)
    plain = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    plain.load_state_dict(net.state_dict())
    opt = Lion(ddp.parameters(), lr=0.01, algorithm="alltoall-vote")
    for s in range(3):
        x = torch.randn(8, 16, generator=torch.Generator().manual_seed(1000 * s + RANK))
        opt.zero_grad()
        plain.zero_grad()
        ddp(x).square().mean().backward()
        plain(x).square().mean().backward()
        for a, b in zip(ddp.parameters(), plain.parameters()):
            assert torch.equal(a.grad, b.grad), "DDP with the hook changed the local gradient"
        opt.step()
        plain.load_state_dict(net.state_dict())
        check_identical(list(ddp.parameters()), f"DDP step {s}")
    opt.close()
    log("DDP hook: ok")


def mode_killed():
    os.environ.setdefault("LIONCUB_TIMEOUT_MS", "10000")
    params = init_params()
    opt = Lion(params, lr=0.01, algorithm="alltoall-vote")
    for s in range(50):
        if s == 3 and RANK == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        for p, g in zip(params, grads_of(RANK, s)):
            p.grad = g
        try:
            opt.step()
        except lioncub.LioncubError as e:
            log(f"GOT-ERROR at step {s}: {e}")
            os._exit(0)
    log("no error although rank 1 died")
    os._exit(1)


def mode_mismatch(kind):
    if kind == "shape":
        params = [torch.nn.Parameter(torch.zeros(10 + RANK))]
        opt_kw = dict(check_params=False)
    else:
        params = [torch.nn.Parameter(torch.full((10,), float(RANK)))]
        opt_kw = {}
    try:
        Lion(params, lr=0.01, **opt_kw)
    except (ValueError, lioncub.LioncubError) as e:  # not a lost connection: a clear message
        log(f"GOT-ERROR: {type(e).__name__}: {e}")
        os._exit(0)
    log("construction succeeded although the ranks differ")
    os._exit(1)


def mode_env():
    """No torch.distributed: the rendezvous goes through a torch TCPStore that rank 0 hosts on
    MASTER_PORT (what init_process_group would do); two optimizers = two communicators."""
    params = init_params()
    opt = Lion(params[:2], lr=0.01, algorithm="alltoall-vote")
    opt2 = Lion(params[2:], lr=0.01, algorithm="quant2-rs")
    for s in range(3):
        for p, g in zip(params, grads_of(RANK, s)):
            p.grad = g
        opt.step()
        opt2.step()
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    log(f"checksum {flat.double().sum().item()!r} {flat.view(torch.int32).long().sum().item()}")


def main():
    if os.environ.get("LIONCUB_TEST_USE_DIST", "1") == "1":
        dist.init_process_group("gloo", rank=RANK, world_size=P)
    mode = sys.argv[1]
    if mode == "algos":
        mode_algos(int(sys.argv[2]))
    elif mode == "features":
        mode_features()
    elif mode == "killed":
        mode_killed()
    elif mode.startswith("mismatch-"):
        mode_mismatch(mode.split("-", 1)[1])
    elif mode == "env":
        mode_env()
    log("PASS")
    sys.stdout.flush()
    os._exit(0)  # no process-group teardown: a dead peer must not stall the exit


if __name__ == "__main__":
    main()
