#!/usr/bin/env python3
"""lioncub-perf results: parse them back, plot them.

  plot_perf.py -o OUT.png FILE...   busbw and time vs size per algorithm (one line per algorithm
                                    and file); FILE is lioncub-perf's --json output or its table
  plot_perf.py --dump FILE          the rows as JSON (what the tests compare with --json)
"""
import json
import sys

COLUMNS = ["size", "count", "type", "redop", "root", "time_us", "algbw", "busbw", "wrong",
           "algorithm", "wire_bytes", "link_eff"]


def parse_table(text):
    """Rows of lioncub-perf's table: every non-comment line of 12 columns."""
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        f = line.split()
        if len(f) != len(COLUMNS):
            raise ValueError("not a lioncub-perf row: %r" % line)
        row = dict(zip(COLUMNS, f))
        for k in ("size", "count", "root", "wire_bytes"):
            row[k] = int(row[k])
        for k in ("time_us", "algbw", "busbw"):
            row[k] = float(row[k])
        row["wrong"] = -1 if row["wrong"] == "N/A" else int(row["wrong"])
        row["link_eff"] = 0.0 if row["link_eff"] == "N/A" else float(row["link_eff"])
        rows.append(row)
    return rows


def load(path):
    with open(path) as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        doc = json.loads(text)
        label = "P=%d %s" % (doc["nranks"], doc.get("link_rate") or "")
        return label.strip(), doc["rows"]
    return path, parse_table(text)


def plot(out, paths):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_bw, ax_t) = plt.subplots(1, 2, figsize=(12, 4.8))
    for path in paths:
        label, rows = load(path)
        algos = []
        for r in rows:
            if r["algorithm"] not in algos:
                algos.append(r["algorithm"])
        for algo in algos:
            pts = sorted((r["size"], r["busbw"], r["time_us"]) for r in rows if r["algorithm"] == algo)
            name = algo if len(paths) == 1 else "%s (%s)" % (algo, label)
            ax_bw.plot([p[0] for p in pts], [p[1] for p in pts], "o-", ms=3, label=name)
            ax_t.plot([p[0] for p in pts], [p[2] for p in pts], "o-", ms=3, label=name)
    for ax, ylabel in ((ax_bw, "busbw (GB/s, fp32-allreduce equivalent)"), (ax_t, "time (us)")):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("size (bytes of fp32 gradient)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    ax_bw.legend(fontsize=8)
    fig.suptitle("lioncub-perf")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("wrote", out)


def main(argv):
    if len(argv) == 2 and argv[0] == "--dump":
        print(json.dumps(load(argv[1])[1], indent=1))
        return 0
    if len(argv) >= 3 and argv[0] == "-o":
        plot(argv[1], argv[2:])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
