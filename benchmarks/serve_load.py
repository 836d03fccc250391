"""Load on ``kolrules serve``, on loopback only, bounded in requests and time.

    python benchmarks/serve_load.py                        # 2 workers, 8 clients, 20 s
    python benchmarks/serve_load.py --clients 32 --seconds 30 --workers 2
    python benchmarks/serve_load.py --soak 300             # and RSS over a 5-minute soak

Starts ``kolrules serve`` on a free 127.0.0.1 port (``--no-access-log``, no reload), then:

1. single-profile requests: ``--clients`` connections (HTTP/1.1, kept alive), each sending
   ``POST /v1/evaluate`` with one JSON profile and waiting for the answer before the next,
   for ``--seconds`` (and at most ``--max-requests``); requests per second, and the latency
   p50 / p99 (from the request's first byte written to the answer's last byte read);
2. a batch request: ``--batch-rows`` rows (benchmarks/generate.py, seed 42) as one CSV
   body, best of ``--batch-runs``; rows per second against in-process
   ``Engine.evaluate`` (the one-by-one path, on the rows as mappings) and
   ``Engine.evaluate_file`` (the columnar path, on the same CSV file);
3. with ``--soak SECONDS``: single-profile load for that long, the resident memory of the
   server's processes sampled every 10 s: the first, last and largest figure.

Beside the rates, the CPU time the server's processes and the clients used per request:
on a machine shared with other work the rates say as much about the other work as about
kolrules, the CPU time per request much less so.

The clients are a small asyncio HTTP/1.1 client (uvloop when installed) in this process;
they share the machine's cores with the server, as the load average printed says. Needs the
serve extra and numpy (the ``bench`` group).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request_bytes(path: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    return status, await reader.readexactly(length)


async def one_client(
    port: int, requests: list[bytes], until: float, budget: list[int], latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    failures = 0
    n = 0
    try:
        while time.perf_counter() < until and budget[0] > 0:
            budget[0] -= 1
            data = requests[n % len(requests)]
            n += 1
            start = time.perf_counter()
            writer.write(data)
            status, _ = await read_response(reader)
            latencies.append(time.perf_counter() - start)
            failures += status != 200
    finally:
        writer.close()
    return failures


async def load(port: int, requests: list[bytes], clients: int, seconds: float, most: int) -> dict:
    latencies: list[float] = []
    budget = [most]
    start = time.perf_counter()
    until = start + seconds
    failures = await asyncio.gather(
        *(one_client(port, requests, until, budget, latencies) for _ in range(clients))
    )
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": len(latencies),
        "failed": sum(failures),
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed),
        "p50_ms": round(pick(0.50), 2),
        "p99_ms": round(pick(0.99), 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's workers)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its children, KiB."""
    total = 0
    for p in _tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
        except (OSError, StopIteration):
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and its children, seconds."""
    ticks = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def start_server(port: int, workers: int) -> subprocess.Popen[str]:
    env = {**os.environ, "KOLRULES_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("KOLRULES_SERVE_TOKEN", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kolrules.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--reload-interval",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: {proc.communicate()[1]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
                if b" 200 " in s.recv(100):
                    return proc
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the server did not start in 120 s")
        time.sleep(0.3)


def batch(port: int, csv_bytes: bytes, runs: int) -> float:
    """The best time of a batch request (seconds)."""
    best = float("inf")
    data = request_bytes("/v1/evaluate?ruleset=red-default", csv_bytes, "text/csv")

    async def once() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 26)
        start = time.perf_counter()
        writer.write(data)
        status, body = await read_response(reader)
        took = time.perf_counter() - start
        writer.close()
        assert status == 200, body[:500]
        return took

    for _ in range(runs):
        best = min(best, asyncio.run(once()))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=500_000)
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--batch-runs", type=int, default=3)
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of soak (0: none)")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    frame = generate.frame(args.batch_rows, 42)
    profiles = [
        {k: v for k, v in row.items() if v is not None}
        for row in frame.head(500).iter_rows(named=True)
    ]
    singles = [
        request_bytes(
            "/v1/evaluate", json.dumps(p, ensure_ascii=False).encode(), "application/json"
        )
        for p in profiles
    ]
    folder = Path(tempfile.mkdtemp(prefix="kolrules-serve-load-"))
    csv_path = folder / "batch.csv"
    frame.write_csv(csv_path)
    csv_bytes = csv_path.read_bytes()

    port = free_port()
    print(f"load average before: {os.getloadavg()}", flush=True)
    proc = start_server(port, args.workers)
    try:
        asyncio.run(load(port, singles, args.clients, 3.0, 20_000))  # warm up every worker
        cpu_before, client_before = cpu_seconds(proc.pid), time.process_time()
        single = asyncio.run(load(port, singles, args.clients, args.seconds, args.max_requests))
        load_during = os.getloadavg()
        server_cpu = cpu_seconds(proc.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        single["server_cpu_ms_per_request"] = round(server_cpu / single["requests"] * 1000, 3)
        single["client_cpu_ms_per_request"] = round(client_cpu / single["requests"] * 1000, 3)
        took = batch(port, csv_bytes, args.batch_runs)
        soak: list[tuple[float, int]] = []
        soaked = 0
        if args.soak:
            end = time.monotonic() + args.soak
            soak.append((0.0, rss_kib(proc.pid)))
            while time.monotonic() < end:
                done = asyncio.run(
                    load(port, singles, args.clients, min(10.0, end - time.monotonic()), 10**9)
                )
                soaked += done["requests"]
                soak.append((round(args.soak - (end - time.monotonic())), rss_kib(proc.pid)))
    finally:
        proc.terminate()
        proc.communicate(timeout=60)

    from kolrules import Engine

    engine = Engine("red-default")
    rows = list(frame.iter_rows(named=True))
    one_by_one = min(_timed(lambda: engine.evaluate(rows)) for _ in range(args.batch_runs))
    columnar = min(_timed(lambda: engine.evaluate_file(csv_path)) for _ in range(args.batch_runs))

    print(
        f"\nkolrules serve: {args.workers} workers, {args.clients} clients, loopback, "
        f"{os.cpu_count()} cores"
    )
    print(f"load average during the single-profile run: {load_during}")
    print("\nsingle-profile POST /v1/evaluate (JSON object):")
    print(json.dumps(single))
    n = args.batch_rows
    print(f"\nbatch POST /v1/evaluate, {n:,} CSV rows: {took:.3f} s = {n / took:,.0f} rows/s")
    print(
        f"in process Engine.evaluate (one by one): {one_by_one:.3f} s = {n / one_by_one:,.0f} "
        f"rows/s -> service/in-process = {one_by_one / took:.2f}x"
    )
    print(
        f"in process Engine.evaluate_file (columnar): {columnar:.3f} s = {n / columnar:,.0f} "
        f"rows/s -> service/in-process = {columnar / took:.2f}x"
    )
    if soak:
        sizes = [kib for _, kib in soak]
        print(
            f"\nsoak {args.soak:.0f} s, server RSS (MiB) at seconds: "
            + ", ".join(f"{t:.0f}: {kib / 1024:.1f}" for t, kib in soak)
        )
        print(
            f"first {sizes[0] / 1024:.1f} MiB, last {sizes[-1] / 1024:.1f} MiB, "
            f"largest {max(sizes) / 1024:.1f} MiB; {soaked:,} single-profile requests"
        )
    print(f"load average after: {os.getloadavg()}")
    return 0 if single["failed"] == 0 else 1


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
