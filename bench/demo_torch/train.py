"""One rank of the PyTorch demo (scripts/demo.sh): Fashion-MNIST, an MLP, P data-parallel ranks,
trained once per method on the same model, initial weights, data order and number of steps:

  ddp            DistributedDataParallel (gloo, fp32 gradient allreduce) + lion_pytorch.Lion
  full           lioncub.torch.Lion(algorithm="full")          (fp32 gradients, lioncub's ring)
  alltoall-vote  lioncub.torch.Lion(algorithm="alltoall-vote") (1-bit codes)
  quant2-rs      lioncub.torch.Lion(algorithm="quant2-rs", momentum_sync=...) (2-bit codes)

The lioncub runs keep DDP as the wrapper with lioncub.torch.ddp_comm_hook (gradients stay local).
Test accuracy is measured after training from parameter snapshots taken every --eval-every steps,
so evaluation never counts in the step times. Rank 0 writes results.json. See docs/demo.md."""
import argparse
import gzip
import json
import os
import statistics
import struct
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    dims = [n] + ([28, 28] if magic == 2051 else [])
    off = 16 if magic == 2051 else 8
    return torch.frombuffer(bytearray(raw[off:]), dtype=torch.uint8).reshape(dims)


def load(data_dir, split):
    img = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"))
    lab = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"))
    x = img.reshape(len(img), -1).float().div_(255.0).sub_(0.2860).div_(0.3530)
    return x, lab.long()


def make_model(hidden, layers):
    torch.manual_seed(0)  # the same initial weights on every rank and for every method
    mods, width = [], 784
    for _ in range(layers):
        mods += [torch.nn.Linear(width, hidden), torch.nn.ReLU()]
        width = hidden
    mods.append(torch.nn.Linear(width, 10))
    return torch.nn.Sequential(*mods)


def accuracy(model, x, y):
    with torch.no_grad():
        correct = 0
        for i in range(0, len(x), 2000):
            correct += int((model(x[i:i + 2000]).argmax(1) == y[i:i + 2000]).sum())
    return 100.0 * correct / len(x)


def run(method, args, data, rank, world):
    import lioncub.torch as lct
    from lion_pytorch import Lion as PlainLion
    x, y, xt, yt = data
    model = make_model(args.hidden, args.layers)
    ddp = DDP(model)
    if method == "ddp":
        opt = PlainLion(ddp.parameters(), lr=args.lr, weight_decay=args.wd)
    else:
        ddp.register_comm_hook(None, lct.ddp_comm_hook)
        kw = dict(algorithm=method)
        if method == "quant2-rs":
            kw["momentum_sync"] = args.sync_every
        opt = lct.Lion(ddp.parameters(), lr=args.lr, weight_decay=args.wd, **kw)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(1))  # same data order
    B = args.batch
    step_s, snaps, wall, bytes_sent = [], [], 0.0, []
    dist.barrier()
    for s in range(args.steps):
        lo = ((s * world + rank) * B) % (len(x) - B)
        idx = order[lo:lo + B]
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(ddp(x[idx]), y[idx])
        loss.backward()
        opt.step()
        sched.step()
        dt = time.perf_counter() - t0
        step_s.append(dt)
        wall += dt
        if method != "ddp":
            bytes_sent.append(opt.last_stats["bytes_sent"])
        if (s + 1) % args.eval_every == 0 or s + 1 == args.steps:
            if rank == 0:
                snaps.append((s + 1, wall, [p.detach().clone() for p in model.parameters()]))
    if hasattr(opt, "close"):
        opt.close()
    dist.barrier()
    result = None
    if rank == 0:
        curve = []
        for step, t, params in snaps:
            with torch.no_grad():
                for p, v in zip(model.parameters(), params):
                    p.copy_(v)
            curve.append({"step": step, "wall_s": t, "test_acc": accuracy(model, xt, yt)})
        n = sum(p.numel() for p in model.parameters())
        # DDP: gloo's ring allreduce sends 2(P-1)/P of the fp32 gradients per rank.
        wire = (statistics.median(bytes_sent) if bytes_sent else 2 * (world - 1) / world * 4 * n)
        result = {"method": method, "median_step_ms": 1e3 * statistics.median(step_s[5:] or step_s),
                  "step_ms": [1e3 * v for v in step_s], "curve": curve,
                  "final_test_acc": curve[-1]["test_acc"], "wire_bytes_per_step": wire,
                  "parameters": n}
    dist.barrier()
    del ddp
    return result


def compute_only_ms(args, data):
    """The step without communication (local forward, backward and Lion), for DDP's fraction."""
    from lion_pytorch import Lion as PlainLion
    x, y, _, _ = data
    model = make_model(args.hidden, args.layers)
    opt = PlainLion(model.parameters(), lr=args.lr)
    times = []
    for s in range(15):
        t0 = time.perf_counter()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[s * args.batch:(s + 1) * args.batch]),
                                          y[s * args.batch:(s + 1) * args.batch]).backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times[3:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--methods", default="ddp,full,alltoall-vote,quant2-rs")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=64, help="per rank")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--sync-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=20)
    ap.add_argument("--target", type=float, default=84.0, help="test accuracy (%%) for time-to-target")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--out", default="demo-results")
    args = ap.parse_args()

    env = os.environ
    rank = int(env.get("LIONCUB_RANK", env.get("RANK", 0)))
    world = int(env.get("LIONCUB_WORLD_SIZE", env.get("WORLD_SIZE", 1)))
    root = env.get("LIONCUB_ROOT") or f"{env.get('MASTER_ADDR', '127.0.0.1')}:{env.get('MASTER_PORT', '29500')}"
    if env.get("LIONCUB_NET_IFNAME"):  # the emulated cluster: gloo on the host's shaped NIC
        env.setdefault("GLOO_SOCKET_IFNAME", env["LIONCUB_NET_IFNAME"])
    host, _, port = root.rpartition(":")
    env.setdefault("MASTER_ADDR", host)  # lioncub.torch finds this host's address by its route
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://{root}", rank=rank, world_size=world)
    x, y = load(args.data, "train")
    xt, yt = load(args.data, "t10k")
    data = (x, y, xt, yt)
    results = {"nranks": world, "steps": args.steps, "batch_per_rank": args.batch,
               "hidden": args.hidden, "layers": args.layers, "lr": args.lr,
               "link_rate": env.get("LIONCUB_LINK_RATE", "loopback"), "target_acc": args.target,
               "runs": []}
    if rank == 0:
        results["compute_only_step_ms"] = compute_only_ms(args, data)
    for method in args.methods.split(","):
        if rank == 0:
            print(f"== {method}", flush=True)
        r = run(method, args, data, rank, world)
        if rank == 0:
            hit = [c["wall_s"] for c in r["curve"] if c["test_acc"] >= args.target]
            r["time_to_target_s"] = hit[0] if hit else None
            results["runs"].append(r)
    if rank == 0:
        report(results)
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(results, f)
    dist.barrier()
    dist.destroy_process_group()


def report(res):
    runs = res["runs"]
    base = next((r for r in runs if r["method"] == "ddp"), runs[0])
    print(f"\nP = {res['nranks']} ranks at {res['link_rate']}, {res['steps']} steps of "
          f"{res['batch_per_rank']} per rank, MLP 784-{'-'.join([str(res['hidden'])] * res['layers'])}-10 "
          f"({base['parameters'] / 1e6:.2f}M parameters)")
    print(f"{'method':<15}{'median step ms':>15}{'wire MB/step':>13}{'speedup':>9}"
          f"{'t to ' + str(res['target_acc']) + '% s':>14}{'test acc %':>11}")
    for r in runs:
        ttt = f"{r['time_to_target_s']:.1f}" if r["time_to_target_s"] is not None else "not reached"
        print(f"{r['method']:<15}{r['median_step_ms']:>15.1f}{r['wire_bytes_per_step'] / 1e6:>13.3f}"
              f"{base['median_step_ms'] / r['median_step_ms']:>8.2f}x{ttt:>14}{r['final_test_acc']:>11.2f}")
    comp = res.get("compute_only_step_ms")
    if comp is not None:
        frac = max(0.0, 1 - comp / base["median_step_ms"])
        res["ddp_comm_fraction"] = frac
        print(f"DDP's step: {comp:.1f} ms of it is local compute (measured alone), so "
              f"{100 * frac:.0f}% is communication")


if __name__ == "__main__":
    main()
