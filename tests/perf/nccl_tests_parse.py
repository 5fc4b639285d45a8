#!/usr/bin/env python3
"""Reads lioncub-perf's output the way nccl-tests' users read nccl-tests' output, and checks it.

The parser is the common one (see the nccl-tests README's description of the table): skip every
line that starts with '#', split the others on white space, expect 13 fields (size, count, type,
redop, root, then time/algbw/busbw/#wrong out of place and in place) of which all but type and
redop are numbers, and take the average bus bandwidth from the last "# Avg bus bandwidth" line.
Nothing here knows lioncub's extra sections.

  nccl_tests_parse.py OUTPUT --ranks P [--check 0|1] [--json FILE] [--wrong N]

--check 1: every #wrong is 0 and every "Out of bounds values" line says 0 OK; --wrong N: each
table plants N wrong elements in its first out-of-place result (#wrong = N there, footer
N FAILED); --check 0: every #wrong is -1 (not checked). --json: the -J report of the same run,
whose unrounded times the printed numbers must round from.
"""
import argparse
import json
import sys


def parse(text):
    """(rows, footers): rows are lists of 13 fields (numbers where numeric), one list per table."""
    tables, footers, avg = [], [], None
    current = None
    for line in text.splitlines():
        if line.startswith("#"):
            if "Avg bus bandwidth" in line:
                avg = float(line.split(":")[1])
                footers.append({"avg_busbw": avg, "oob": oob})
                current = None
            elif "Out of bounds values" in line:
                words = line.split(":")[1].split()
                oob = (int(words[0]), words[1])
            continue
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 13:
            raise AssertionError("a data row has %d fields, not 13: %r" % (len(fields), line))
        row = [float(x) if i not in (2, 3) else x for i, x in enumerate(fields)]  # raises on N/A
        if current is None:
            current = []
            tables.append(current)
        current.append(row)
    return tables, footers, avg


def close(a, b, tol):
    return abs(a - b) <= tol


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("--ranks", type=int, required=True)
    ap.add_argument("--check", type=int, default=1)
    ap.add_argument("--wrong", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args()
    text = open(a.output).read()
    tables, footers, last_avg = parse(text)
    assert tables and len(tables) == len(footers), (len(tables), len(footers))
    factor = 2.0 * (a.ranks - 1) / a.ranks  # nccl-tests' allreduce bus factor
    for rows, foot in zip(tables, footers):
        cells = []
        for r in rows:
            size, count, root = r[0], r[1], r[4]
            assert count * 4 == size and root == -1, r
            for t, algbw, busbw, wrong in (r[5:9], r[9:13]):
                # Printed with 2 decimals (or fewer digits when wide): algbw = size / time, and
                # busbw = algbw * factor, both within the rounding of what is printed.
                want = size / (t * 1e-6) / 1e9
                assert close(algbw, want, 0.005 + want * 0.01 / t + 1e-9), ("algbw", r)
                assert close(busbw, algbw * factor, 0.005 + 0.005 * factor + 1e-9), ("busbw", r)
                cells.append(busbw)
        # The footer averages every busbw cell (two per row), from the unrounded values.
        assert close(foot["avg_busbw"], sum(cells) / len(cells), 0.005 + 1e-9), (foot, cells)
        wrongs = [int(r[8]) for r in rows] + [int(r[12]) for r in rows]
        if a.check == 0:
            assert all(w == -1 for w in wrongs), wrongs
        elif a.wrong == 0:
            assert all(w == 0 for w in wrongs) and foot["oob"] == (0, "OK"), (wrongs, foot)
        else:
            assert int(rows[0][8]) == a.wrong and foot["oob"][1] == "FAILED", (rows[0], foot)
    assert last_avg == footers[-1]["avg_busbw"]
    if a.json:
        doc = json.load(open(a.json))
        flat = [r for rows in tables for r in rows]
        assert len(flat) == len(doc["rows"]), (len(flat), len(doc["rows"]))
        for r, j in zip(flat, doc["rows"]):
            assert [r[0], r[1], r[2], r[3], r[4]] == [j["size"], j["count"], j["type"], j["redop"], j["root"]], (r, j)
            for first, key in ((5, "out_of_place"), (9, "in_place")):
                m = j[key]
                assert close(r[first], m["time_us"], 0.005 + 1e-9) or abs(m["time_us"]) >= 1e4, (r, m)
                assert close(r[first + 1], m["algbw"], 0.005 + 1e-9) and close(r[first + 2], m["busbw"], 0.005 + 1e-9), (r, m)
                assert int(r[first + 3]) == m["wrong"], (r, m)
                assert close(m["algbw"], j["size"] / (m["time_us"] * 1e-6) / 1e9, 1e-9 * max(1, m["algbw"])), m
                assert close(m["busbw"], m["algbw"] * factor, 1e-9 * max(1, m["busbw"])), m
    print("nccl-tests parser: %d tables, %d rows, last Avg bus bandwidth %g"
          % (len(tables), sum(len(t) for t in tables), last_avg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
