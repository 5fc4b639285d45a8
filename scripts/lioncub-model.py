#!/usr/bin/env python3
"""lioncub-model: modelled time of one lioncub collective call (and of a training step) from P,
R, message size, link rate, per-step latency and per-call costs, following each algorithm's
actual schedule (docs/collectives.md, collectives/algorithms/*.cc). Python 3, standard library
only (matplotlib for --plot).

The model (docs/scaling.md, "Model"), for one call on n elements, W = ceil(n/32) words per plane,
plane = 4W bytes, H = P/R hosts of R ranks sharing one NIC:

  lat  = s*(c_call + alpha*steps + c_msg*msgs + gamma_x*2*rank_bytes) + o*c_sched*msgs
         + local_bytes/B_local
  work = s*gamma_r*reduce_bytes
  T    = max(nic_bytes/B, lat) + work     on the emulated cluster (tbf token bucket: it refills
                                          while back-to-back calls wait on latencies)
  T    = nic_bytes/B + lat + work         on a real fabric (s = 1, o = 0)

  steps        dependent latency rounds (a ring of P-1 steps counts P-1; an all-to-all posts all
               its messages at once and counts 1)
  msgs         messages one rank posts
  rank_bytes   bytes one rank sends (= lioncub's stats.bytesSent)
  nic_bytes    bytes leaving the busiest host NIC (R ranks share it)
  local_bytes  bytes a rank sends to ranks of its own host (loopback / NVLink)
  reduce_bytes bytes read by the vote / sum / lane passes
  s            max(1, P / cores): processes per core on the emulated cluster (2 cores)
  o            max(0, P / cores - 2): processes beyond two per core, each message then waits
               for a scheduler turn (empirical)

c_call, alpha, c_msg, gamma_x, c_sched, gamma_r are fitted (non-negative least squares on
relative error) to the measured collective calls in scripts/model_points.json.

  scripts/lioncub-model.py fit                 # calibrate, print the error on every point
  scripts/lioncub-model.py time -a alltoall-vote -P 64 -R 8 -n 25557032 --gbps 25
  scripts/lioncub-model.py predict [--plot docs/scaling.png] [--markdown]
  scripts/lioncub-model.py --selftest          # formulas against hand-computed values
"""
import argparse
import itertools
import json
import math
import os
import statistics
import sys

ALGOS = ["full", "allgather-vote", "alltoall-vote", "quant2-rs", "packed-sum",
         "hierarchical-vote"]
PARAMS = ["c_call", "alpha", "c_msg", "gamma_x", "c_sched", "gamma_r"]
WIRE_BOUND = 1.2  # measured / wire time above which a point calibrates the overhead
HERE = os.path.dirname(os.path.abspath(__file__))
POINTS = os.path.join(HERE, "model_points.json")

# The emulated cluster: 2 cores; loopback moves 4.68 GB/s (docs/perf.md, transport).
EMU_CORES = 2
EMU_LOCAL_BPS = 4.68e9

# Prediction assumptions (docs/scaling.md says why).
REAL_ALPHA = 30e-6        # s per dependent step on a real Ethernet fabric, TCP/sockets transport
REAL_CMSG = 2e-6         # s to post and complete one message (not identifiable here)
REAL_LOCAL_BPS = 100e9    # bytes/s between the GPUs of one node (NVLink-class)
REAL_GAMMA = 1 / 1.5e12   # s per byte of word work on the GPU (~75% of A100 80GB's 2 TB/s HBM)
MODEL_NAME = "ResNet-50 v1.5"
MODEL_PARAMS = 25_557_032  # torchvision resnet50
MODEL_STEP_S = 256 / 2470  # A100 80GB, AMP, batch 256: 2470 img/s (NVIDIA DeepLearningExamples)


def lane_width(P):
    """packed-sum's lane bits for 1-bit codes (kernels/lanes.h lane_width_for); 0 = none."""
    if P <= 3:
        return 2
    if P <= 15:
        return 4
    if P <= 255:
        return 8
    return 0


def counter_bits(R):
    """Bit planes of a count of R votes: ceil(log2(R+1))."""
    return max(1, math.ceil(math.log2(R + 1)))


def schedule(algo, P, R, n, tie_zero=True):
    """Counts of one call's schedule for a rank (the busiest) and its host's NIC.

    Returns dict(steps, msgs, rank_bytes, nic_bytes, local_bytes, reduce_bytes)."""
    if P < 1 or R < 1 or P % R:
        raise ValueError("P must be a positive multiple of R")
    H = P // R
    W = math.ceil(n / 32)
    plane = 4.0 * W
    share = (P - 1) / P
    out = 2 if tie_zero and P % 2 == 0 else 1  # result planes: nonzero too when ties give 0
    cross = 1.0 if H > 1 else 0.0
    if algo == "packed-sum" and lane_width(P) == 0:
        algo = "alltoall-vote"  # what lioncub runs instead (collectives/algorithms/dispatch.cc)
    if algo in ("full", "packed-sum"):
        # Ring reduce-scatter + ring allgather: 2(P-1) dependent steps of one message; ring order
        # crosses each host boundary once per step, so one rank per host feeds the NIC.
        buf = 4.0 * n if algo == "full" else lane_width(P) * plane
        rank = 2 * share * buf
        nic = rank * cross
        extra = share * buf + (2 * buf if algo == "packed-sum" else 0)  # adds; lane pack/resolve
        return dict(steps=2 * (P - 1), msgs=2 * (P - 1), rank_bytes=rank, nic_bytes=nic,
                    local_bytes=rank - nic, reduce_bytes=extra)
    if algo == "allgather-vote":
        rank = (P - 1) * plane
        nic = rank * cross
        return dict(steps=P - 1, msgs=P - 1, rank_bytes=rank, nic_bytes=nic,
                    local_bytes=rank - nic, reduce_bytes=P * plane)
    if algo in ("alltoall-vote", "quant2-rs"):
        cin = 1 if algo == "alltoall-vote" else 2  # planes of the code sent in the all-to-all
        a2a = cin * plane * share
        gather = out * plane * share
        rank = a2a + gather
        # All-to-all: each of the R ranks sends its shards for the P-R off-host ranks; ring
        # allgather of the result: one crossing per host per step.
        nic = (R * cin * plane * (P - R) / P + gather * cross) if H > 1 else 0.0
        local = cin * plane * (R - 1) / P + (gather if H == 1 else 0.0)
        return dict(steps=1 + (P - 1), msgs=2 * (P - 1), rank_bytes=rank, nic_bytes=nic,
                    local_bytes=local, reduce_bytes=cin * plane)
    if algo == "hierarchical-vote":
        bits = counter_bits(R)
        shard = plane / R
        intra = shard * (R - 1) + out * shard * (R - 1)           # 1. shards, 5b. results
        inter = (bits + out) * shard * (H - 1) / H                  # 3. counts, 5a. results
        return dict(steps=4, msgs=2 * (R - 1) + 2 * (H - 1), rank_bytes=intra + inter,
                    nic_bytes=R * inter, local_bytes=intra,
                    reduce_bytes=plane + bits * shard)
    raise ValueError("unknown algorithm " + algo)


def features(algo, P, R, n, real=False, cores=EMU_CORES):
    """Coefficients of PARAMS for one call: (overlappable part, serial part), its schedule and
    its local seconds. s = processes per core (1 on a real cluster); o = processes beyond two
    per core (0 on a real cluster), the scheduler-turn term (docs/scaling.md, "Model")."""
    c = schedule(algo, P, R, n)
    s = 1.0 if real else max(1.0, P / cores)
    o = 0.0 if real else max(0.0, P / cores - 2)
    local_bps = REAL_LOCAL_BPS if real else EMU_LOCAL_BPS
    over = [s, s * c["steps"], s * c["msgs"], s * 2 * c["rank_bytes"], o * c["msgs"], 0.0]
    serial = [0.0] * 5 + [s * c["reduce_bytes"]]
    return over, serial, c, c["local_bytes"] / local_bps


def call_seconds(algo, P, R, n, rate_bps, theta, real=False):
    """Emulated cluster: max(wire, latency part) + word work (the tbf token bucket refills while
    a call waits on latencies, so back-to-back calls overlap the two); real fabric: all added."""
    over, serial, c, local_s = features(algo, P, R, n, real)
    wire = c["nic_bytes"] * 8 / rate_bps
    lat = sum(a * b for a, b in zip(over, theta)) + local_s
    work = sum(a * b for a, b in zip(serial, theta))
    return (lat + wire if real else max(wire, lat)) + work


def load_points(path=POINTS):
    with open(path) as fh:
        return json.load(fh)["points"]


def calibration(points):
    """The points the fit uses: single collective calls (lioncub-perf). The optimizer step's
    exchange times (role "validation") are only compared against."""
    return [p for p in points if p.get("role") != "validation"]


def point_terms(p):
    """(overlappable coefficients, serial coefficients, local s, wire s), all x calls."""
    over, serial, c, local_s = features(p["algo"], p["P"], p["R"], p["n"])
    k = p.get("calls", 1)
    return ([k * x for x in over], [k * x for x in serial], k * local_s,
            k * c["nic_bytes"] * 8 / p["rate"])


def solve(A, b):
    """Least squares by normal equations (k <= 4 unknowns), Gaussian elimination."""
    k = len(A[0])
    M = [[sum(r[i] * r[j] for r in A) for j in range(k)] + [sum(r[i] * y for r, y in zip(A, b))]
         for i in range(k)]
    for i in range(k):
        piv = max(range(i, k), key=lambda r: abs(M[r][i]))
        M[i], M[piv] = M[piv], M[i]
        if abs(M[i][i]) < 1e-300:
            return None
        for r in range(k):
            if r != i:
                q = M[r][i] / M[i][i]
                M[r] = [x - q * y for x, y in zip(M[r], M[i])]
    return [M[i][k] / M[i][i] for i in range(k)]


def nnls(rows, rhs):
    """Non-negative least squares: every subset of the columns, the best feasible one."""
    k = len(rows[0])
    scale = [max([abs(r[j]) for r in rows] + [1e-30]) for j in range(k)]
    srows = [[r[j] / scale[j] for j in range(k)] for r in rows]
    best, best_err = [0.0] * k, sum(y * y for y in rhs)
    for size in range(1, k + 1):
        for subset in itertools.combinations(range(k), size):
            if any(max(abs(r[j]) for r in srows) == 0 for j in subset):
                continue
            x = solve([[r[j] for j in subset] for r in srows], rhs)
            if x is None or min(x) < 0:
                continue
            theta = [0.0] * k
            for j, v in zip(subset, x):
                theta[j] = v / scale[j]
            err = sum((sum(a * t for a, t in zip(r, theta)) - y) ** 2 for r, y in zip(rows, rhs))
            if err < best_err - 1e-15:
                best, best_err = theta, err
    return best


def fit(points, rounds=10):
    """Least squares of the relative error. Each point is either wire-bound (measured = wire +
    word work) or latency-bound (measured = latency part + word work), both linear in the
    parameters; start with latency-bound where measured > WIRE_BOUND x wire, then reassign each
    point to the branch the fitted model takes, until nothing changes."""
    bound = [p["ms"] / 1e3 > WIRE_BOUND * point_terms(p)[3] for p in points]
    theta = [0.0] * len(PARAMS)
    for _ in range(rounds):
        rows, rhs = [], []
        for p, lat_bound in zip(points, bound):
            over, serial, local_s, wire = point_terms(p)
            meas = p["ms"] / 1e3
            if lat_bound:
                rows.append([(a + b) / meas for a, b in zip(over, serial)])
                rhs.append((meas - local_s) / meas)
            else:
                rows.append([b / meas for b in serial])
                rhs.append((meas - wire) / meas)
        theta = nnls(rows, rhs)
        new = []
        for p in points:
            over, serial, local_s, wire = point_terms(p)
            new.append(sum(a * t for a, t in zip(over, theta)) + local_s > wire)
        if new == bound:
            break
        bound = new
    return theta


def model_ms(p, theta):
    over, serial, local_s, wire = point_terms(p)
    lat = sum(a * t for a, t in zip(over, theta)) + local_s
    return 1e3 * (max(wire, lat) + sum(a * t for a, t in zip(serial, theta)))


def cmd_fit(args):
    points = load_points(args.points)
    theta = fit(calibration(points))
    print("calibrated: c_call %.1f us, alpha %.1f us, c_msg %.1f us, gamma_x %.3f ns/byte, "
          "c_sched %.1f us, gamma_r %.3f ns/byte" % (theta[0] * 1e6, theta[1] * 1e6, theta[2] * 1e6,
                                                    theta[3] * 1e9, theta[4] * 1e6, theta[5] * 1e9))
    print("| source | algorithm | P | R | n | rate | calls | measured ms | model ms | error |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    errs = []
    for p in points:
        m = model_ms(p, theta)
        e = (m - p["ms"]) / p["ms"]
        errs.append(abs(e))
        print("| %s | %s | %d | %d | %d | %g Mbit/s | %d | %.3g | %.3g | %+.0f%%%s |"
              % (p["src"].split(":")[0], p["algo"], p["P"], p["R"], p["n"], p["rate"] / 1e6,
                 p.get("calls", 1), p["ms"], m, 100 * e,
                 (" **miss**" if abs(e) > 0.2 else "") + (" (validation)" if p.get("role") else "")))
    cal = [e for e, p in zip(errs, points) if p.get("role") != "validation"]
    print("calibration points within 20%%: %d of %d; median |error| %.0f%%; all points: %d of %d"
          % (sum(e <= 0.2 for e in cal), len(cal), 100 * statistics.median(cal),
             sum(e <= 0.2 for e in errs), len(errs)))
    return theta


def real_theta(theta):
    """Predictions: the calibrated per-call cost (on a core of its own), a real fabric's per-step
    latency, an assumed per-message cost (at least REAL_CMSG), word work on the GPU, no
    scheduler term (one core per rank) and transfers by the NIC (no per-byte CPU cost)."""
    return [theta[0], REAL_ALPHA, max(theta[2], REAL_CMSG), 0.0, 0.0, REAL_GAMMA]


def predict(theta, Ps=(64, 256, 1024, 4096), gbps=(10, 25, 100), R=8, n=MODEL_PARAMS,
            compute_s=MODEL_STEP_S):
    th = real_theta(theta)
    rows = []
    for g in gbps:
        for P in Ps:
            t = {a: call_seconds(a, P, R, n, g * 1e9, th, real=True) for a in ALGOS}
            rows.append(dict(gbps=g, P=P, t=t, step={a: compute_s + v for a, v in t.items()}))
    return rows


def cmd_predict(args):
    global REAL_ALPHA, REAL_CMSG
    REAL_ALPHA, REAL_CMSG = args.alpha_us * 1e-6, args.msg_us * 1e-6
    theta = fit(calibration(load_points(args.points)))
    n, R = args.params, args.ranks_per_host
    rows = predict(theta, gbps=args.gbps, Ps=args.P, R=R, n=n, compute_s=args.compute_ms / 1e3)
    print("%s, %d parameters, compute %.1f ms/step, R = %d ranks per NIC, alpha %.0f us/step"
          % (args.model, n, args.compute_ms, R, REAL_ALPHA * 1e6))
    head = "| link | P | " + " | ".join(ALGOS) + " | best | step speedup over full |"
    print(head)
    print("|" + "---|" * (len(ALGOS) + 4))
    for r in rows:
        best = min(ALGOS[1:], key=lambda a: r["t"][a])
        print("| %d Gbit/s | %d | %s | %s | %.2fx |"
              % (r["gbps"], r["P"], " | ".join("%.1f" % (1e3 * r["t"][a]) for a in ALGOS), best,
                 r["step"]["full"] / r["step"][best]))
    if args.plot:
        plot(theta, args.plot, n=n, R=R, compute_s=args.compute_ms / 1e3)


def plot(theta, path, n=MODEL_PARAMS, R=8, compute_s=MODEL_STEP_S):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("--plot needs matplotlib (pip install matplotlib)")
    Ps = [R * 2 ** k for k in range(1, 10) if R * 2 ** k <= 4096]
    th = real_theta(theta)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6), sharex=True)
    for col, g in enumerate((10, 25, 100)):
        t = {a: [call_seconds(a, P, R, n, g * 1e9, th, real=True) for P in Ps] for a in ALGOS}
        ax, sx = axes[0][col], axes[1][col]
        for a in ALGOS:
            ax.plot(Ps, [1e3 * v for v in t[a]], marker="o", ms=3, label=a)
            if a != "full":
                sx.plot(Ps, [(compute_s + f) / (compute_s + v) for f, v in zip(t["full"], t[a])],
                        marker="o", ms=3, label=a, color=ax.lines[-1].get_color())
        ax.axhline(1e3 * compute_s, color="grey", ls="--", lw=1, label="GPU compute / step")
        sx.axhline(1.0, color="grey", ls="--", lw=1)
        ax.set_yscale("log")
        sx.set_yscale("log")
        ax.set_title("%g Gbit/s Ethernet, %d ranks per NIC" % (g, R))
        sx.set_xlabel("P (ranks)")
        for a_ in (ax, sx):
            a_.set_xscale("log", base=2)
            a_.grid(True, which="both", lw=0.3)
    axes[0][0].set_ylabel("modelled exchange time per step (ms)")
    axes[1][0].set_ylabel("step speedup over full\n(compute + exchange)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("wrote", path)


def cmd_time(args):
    theta = fit(calibration(load_points(args.points))) if not args.real else real_theta(
        fit(calibration(load_points(args.points))))
    for a in args.algo:
        c = schedule(a, args.P, args.R, args.n)
        t = call_seconds(a, args.P, args.R, args.n, args.gbps * 1e9, theta, real=args.real)
        print("%-18s %10.3f ms  steps %d msgs %d rank bytes %.0f NIC bytes %.0f"
              % (a, 1e3 * t, c["steps"], c["msgs"], c["rank_bytes"], c["nic_bytes"]))


def selftest():
    """The schedules' counts against hand-computed values (and the bytes lioncub's stats report,
    recorded in docs/perf.md and docs/scaling.md)."""
    fails = []

    def eq(name, got, want, tol=1e-9):
        if abs(got - want) > tol * max(1.0, abs(want)):
            fails.append("%s: got %r, want %r" % (name, got, want))

    # P = 8, 2^22 elements, tie zero: W = 131072 words, plane 524288 bytes (docs/perf.md).
    n = 1 << 22
    eq("full P8", schedule("full", 8, 1, n)["rank_bytes"], 29_360_128)
    eq("allgather-vote P8", schedule("allgather-vote", 8, 1, n)["rank_bytes"], 3_670_016)
    eq("alltoall-vote P8", schedule("alltoall-vote", 8, 1, n)["rank_bytes"], 1_376_256)
    eq("quant2-rs P8", schedule("quant2-rs", 8, 1, n)["rank_bytes"], 1_835_008)
    eq("packed-sum P8 (4-bit lanes)", schedule("packed-sum", 8, 1, n)["rank_bytes"], 3_670_016)
    # P = 16 and 32, 2^20 elements (docs/scaling.md).
    m = 1 << 20
    eq("packed-sum P16 (8-bit)", schedule("packed-sum", 16, 1, m)["rank_bytes"], 1_966_080)
    eq("alltoall-vote P32", schedule("alltoall-vote", 32, 1, m)["rank_bytes"], 380_928)
    eq("quant2-rs P32", schedule("quant2-rs", 32, 1, m)["rank_bytes"], 507_904)
    eq("allgather-vote P32", schedule("allgather-vote", 32, 1, m)["rank_bytes"], 4_063_232)
    # alltoall-vote sends ~2W(P-1)/P words with odd P (one result plane): P = 5, n = 320 -> W = 10.
    c = schedule("alltoall-vote", 5, 1, 320)
    eq("alltoall-vote P5 bytes", c["rank_bytes"], 4 * 2 * 10 * 4 / 5)
    eq("alltoall-vote P5 steps", c["steps"], 5)
    eq("alltoall-vote P5 msgs", c["msgs"], 8)
    # odd n: W = ceil(33/32) = 2 words.
    eq("allgather-vote P3 n33", schedule("allgather-vote", 3, 1, 33)["rank_bytes"], 2 * 2 * 4)
    # Ring: 2(P-1) dependent steps.
    eq("full steps P4", schedule("full", 4, 1, 100)["steps"], 6)
    # packed-sum past 8-bit lanes runs alltoall-vote.
    eq("packed-sum P512 fallback", schedule("packed-sum", 512, 1, m)["rank_bytes"],
       schedule("alltoall-vote", 512, 1, m)["rank_bytes"])
    # hierarchical-vote, H = 4 hosts x R = 4, n = 2^12 -> W = 128, plane 512 bytes: 3 counter
    # bits + 2 result planes, shard = 128 bytes, NIC: 4 ranks x 5 x 128 x 3/4 = 1920 bytes.
    h = schedule("hierarchical-vote", 16, 4, 1 << 12)
    eq("hier NIC bytes", h["nic_bytes"], 1920)
    eq("hier steps", h["steps"], 4)
    eq("hier msgs", h["msgs"], 12)
    eq("counter bits R=4", counter_bits(4), 3)
    eq("counter bits R=8", counter_bits(8), 4)
    eq("counter bits R=1", counter_bits(1), 1)
    # Flat alltoall-vote at the same layout: NIC = 4 x 512 x 12/16 (shards) + 2 x 512 x 15/16.
    f = schedule("alltoall-vote", 16, 4, 1 << 12)
    eq("flat a2a NIC bytes R4", f["nic_bytes"], 4 * 512 * 12 / 16 + 2 * 512 * 15 / 16)
    # docs/scaling.md: hierarchical moves 0.76 of the flat NIC bytes at R = H = 4 (0.7619...).
    eq("hier/flat ratio", h["nic_bytes"] / f["nic_bytes"], 1920 / 2496)
    # Model arithmetic: a pure wire case (no costs) is bytes / rate.
    eq("wire only", call_seconds("full", 2, 1, 1 << 20, 1e9, [0] * 6, real=True),
       (4 << 20) * 8 / 1e9)
    # The fit recovers known parameters from latency-bound points generated by the model itself
    # (a link so fast that the wire never binds; P up to 16 so the scheduler term is exercised).
    truth = [200e-6, 50e-6, 20e-6, 1e-9, 30e-6, 2e-9]
    synth = []
    for algo in ALGOS[:5]:
        for P, n_ in [(2, 1 << 10), (4, 1 << 16), (8, 1 << 20), (16, 1 << 14), (12, 1 << 22)]:
            p = dict(algo=algo, P=P, R=1, n=n_, rate=1e15, ms=0)
            p["ms"] = model_ms(p, truth)
            synth.append(p)
    got = fit(synth)
    for name, g, t in zip(PARAMS, got, truth):
        eq("fit " + name, g, t, tol=1e-6)
    for msg in fails:
        print("FAIL", msg)
    print("selftest: %d failures" % len(fails))
    return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--selftest", action="store_true", help="check the formulas and exit")
    ap.add_argument("--points", default=POINTS)
    sub = ap.add_subparsers(dest="cmd")
    sub.add_parser("fit", help="calibrate and print the error on every measured point")
    t = sub.add_parser("time", help="time of one call")
    t.add_argument("-a", "--algo", nargs="+", default=ALGOS)
    t.add_argument("-P", type=int, required=True)
    t.add_argument("-R", type=int, default=1)
    t.add_argument("-n", type=int, required=True, help="elements")
    t.add_argument("--gbps", type=float, default=10)
    t.add_argument("--real", action="store_true",
                   help="real cluster (one core per rank, assumed fabric latency) instead of "
                        "the emulated 2-core one")
    pr = sub.add_parser("predict", help="predictions for a named model on Ethernet")
    pr.add_argument("-P", nargs="+", type=int, default=[64, 256, 1024, 4096])
    pr.add_argument("--gbps", nargs="+", type=float, default=[10, 25, 100])
    pr.add_argument("-R", "--ranks-per-host", type=int, default=8)
    pr.add_argument("--params", type=int, default=MODEL_PARAMS)
    pr.add_argument("--compute-ms", type=float, default=MODEL_STEP_S * 1e3)
    pr.add_argument("--model", default=MODEL_NAME)
    pr.add_argument("--alpha-us", type=float, default=REAL_ALPHA * 1e6,
                    help="fabric latency per dependent step (default %(default)g)")
    pr.add_argument("--msg-us", type=float, default=REAL_CMSG * 1e6,
                    help="cost of posting one message (default %(default)g)")
    pr.add_argument("--plot", help="write a PNG here")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    if args.cmd == "fit":
        cmd_fit(args)
    elif args.cmd == "time":
        cmd_time(args)
    elif args.cmd == "predict":
        cmd_predict(args)
    else:
        ap.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
