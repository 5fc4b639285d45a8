#!/usr/bin/env python3
"""Plots of the demos' results: the PyTorch demo's (bench/demo_torch/train.py: runs with a
"method") and the C++ demo's (bench/demo/demo.cc: runs with an "algorithm").

  plot_demo.py RESULTS.json OUTDIR            PyTorch: test accuracy vs wall time and vs steps;
                                              C++: loss vs wall time and vs steps (two PNGs)
  plot_demo.py --sweep OUT.png RESULTS.json...  speedup over ddp (C++: over full) vs link rate,
                                              one file per rate
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def smooth(values, window=10):
    out, acc = [], []
    for v in values:
        acc.append(v)
        if len(acc) > window:
            acc.pop(0)
        out.append(sum(acc) / len(acc))
    return out


def rate_bits(text):
    """tc-style rate ("100mbit", "1gbit", "10gbit") in bit/s; None if unknown."""
    t = text.strip().lower()
    scale = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
    num = "".join(c for c in t if c.isdigit() or c == ".")
    unit = t[len(num):]
    if not num:
        return None
    value = float(num)
    if unit and unit[0] in scale:
        value *= scale[unit[0]]
        unit = unit[1:]
    if unit == "bps":
        value *= 8
    return value


def is_torch(results):
    return bool(results["runs"]) and "method" in results["runs"][0]


def torch_plots(results, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    title = "Fashion-MNIST MLP, P = %d, link %s" % (results["nranks"], results["link_rate"])
    written = []
    for xkey, xlabel, name in (("wall_s", "training wall time (s)", "accuracy_vs_time.png"),
                               ("step", "step", "accuracy_vs_steps.png")):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for run in results["runs"]:
            ax.plot([c[xkey] for c in run["curve"]], [c["test_acc"] for c in run["curve"]], "o-",
                    ms=3, label=run["method"])
        ax.axhline(results["target_acc"], color="gray", lw=1, ls="--")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = "%s/%s" % (outdir, name)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def plots(results, outdir):
    if is_torch(results):
        return torch_plots(results, outdir)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    title = "MLP %s params, P = %d, link %s" % (
        "{:,}".format(results["params"]), results["nranks"], results["link_rate"] or "loopback")
    written = []
    for xkey, xlabel, name in (("wall_s", "wall time (s)", "loss_vs_time.png"),
                               ("step", "step", "loss_vs_steps.png")):
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for run in results["runs"]:
            x = run["wall_s"] if xkey == "wall_s" else list(range(1, len(run["loss"]) + 1))
            ax.plot(x, smooth(run["loss"]), label=run["algorithm"])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("training loss (batch, mean over ranks, 10-step average)")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = "%s/%s" % (outdir, name)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def sweep(out_png, paths):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {}
    base_name = "full"
    for p in paths:
        r = load(p)
        rate = rate_bits(r["link_rate"] or "")
        key, t = ("method", "median_step_ms") if is_torch(r) else ("algorithm", "median_step_s")
        base_name = "ddp" if is_torch(r) else "full"
        base = [x for x in r["runs"] if x[key] == base_name]
        if rate is None or not base:
            continue
        for run in r["runs"]:
            if run[key] == base_name:
                continue
            series.setdefault(run[key], []).append((rate, base[0][t] / run[t]))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for algo, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] / 1e9 for p in pts], [p[1] for p in pts], "o-", label=algo)
        for x, y in pts:
            ax.annotate("%.1fx" % y, (x / 1e9, y), textcoords="offset points", xytext=(4, 4))
    ax.axhline(1.0, color="gray", lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("link rate per host (Gbit/s)")
    ax.set_ylabel("speedup per step over %s (median step time)" % base_name)
    ax.set_title("Where compression pays: P = 4 emulated hosts")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    return [out_png]


def main(argv):
    if len(argv) >= 3 and argv[0] == "--sweep":
        written = sweep(argv[1], argv[2:])
    elif len(argv) == 2:
        written = plots(load(argv[0]), argv[1])
    else:
        sys.stderr.write(__doc__)
        return 2
    for w in written:
        print("wrote", w)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
