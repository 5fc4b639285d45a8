#!/usr/bin/env python3
"""lioncub-perf results: parse them back, plot them.

  plot_perf.py -o OUT.png FILE...   busbw and time vs size per algorithm (one line per algorithm
                                    and file); FILE is lioncub-perf's JSON (-J) or its table
  plot_perf.py --dump FILE          the rows as JSON, in the layout of lioncub-perf's -J report
                                    (what the tests compare with it)

The table is nccl-tests' (13 fields per data row, '#' lines for everything else); each table
follows a "# Algorithm: NAME, ..." line and is followed by lioncub's own columns as '#' lines
("# SIZE WIRE/RANK [LINKEFF] ALGORITHM").
"""
import json
import re
import sys

PLACEMENT = ["time_us", "algbw", "busbw", "wrong"]


def parse_table(text):
    """Rows of lioncub-perf's tables, with the lioncub columns of the '#' sections merged in."""
    rows, algo, extras = [], None, False
    for line in text.splitlines():
        m = re.match(r"# Algorithm: ([^,]+),", line)
        if m:
            algo, extras = m.group(1), False
            continue
        if line.startswith("# lioncub columns"):
            extras = True
            pending = [r for r in rows if r["table"] == algo]
            continue
        if extras:
            f = line[1:].split()
            if len(f) in (3, 4) and f[0].isdigit():
                r = pending.pop(0)
                assert r["size"] == int(f[0]), (r, line)
                r["wire_bytes"] = int(f[1])
                r["link_eff"] = float(f[2]) if len(f) == 4 else 0.0
                r["algorithm"] = f[-1]
            continue
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split()
        if len(f) != 13:
            raise ValueError("not an nccl-tests row (13 fields): %r" % line)
        row = {"table": algo, "algorithm": algo, "size": int(f[0]), "count": int(f[1]),
               "type": f[2], "redop": f[3], "root": int(f[4])}
        for key, first in (("out_of_place", 5), ("in_place", 9)):
            vals = [float(x) for x in f[first:first + 4]]
            vals[3] = int(vals[3])
            row[key] = dict(zip(PLACEMENT, vals))
        rows.append(row)
    for r in rows:
        del r["table"]
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
            pts = sorted((r["size"], r["out_of_place"]["busbw"], r["out_of_place"]["time_us"])
                         for r in rows if r["algorithm"] == algo)
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
