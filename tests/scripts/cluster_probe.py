"""One host's part of the cluster test: host 0 receives, every other host sends `--mib` MiB to
it and prints the rate its NIC let through. Exits non-zero on any failure."""
import argparse
import os
import socket
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--mib", type=int, default=16)
p.add_argument("--port", type=int, default=29600)
args = p.parse_args()
rank, size = int(os.environ["LIONCUB_RANK"]), int(os.environ["LIONCUB_WORLD_SIZE"])
root = os.environ["LIONCUB_ROOT"].split(":")[0]
payload = b"\x5a" * (1 << 20)

if rank == 0:
    srv = socket.create_server((root, args.port))
    srv.settimeout(60)
    for _ in range(size - 1):
        conn, _ = srv.accept()
        with conn:
            got = 0
            while True:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    break
                got += len(chunk)
            if got != args.mib << 20:
                sys.exit(f"host 0: received {got} bytes, expected {args.mib << 20}")
else:
    deadline = time.time() + 30
    while True:
        try:
            s = socket.create_connection((root, args.port), timeout=10)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    start = time.time()
    for _ in range(args.mib):
        s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # wait until host 0 has read everything and closed
    seconds = time.time() - start
    print(f"host {rank}: {args.mib * 8 * 1.048576 / seconds:.1f} Mbit/s")
