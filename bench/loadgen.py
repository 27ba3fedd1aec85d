"""A small keep-alive HTTP/1.1 load generator on asyncio streams (fast enough not to be the bottleneck
for a Django server on the same 2-core machine, and with no dependency to install)."""

import asyncio
import time
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def row(self) -> str:
        return (
            f"| {self.name:<28} | {self.rps:>8.0f} | {self.percentile(50):>8.1f} | {self.percentile(95):>8.1f} "
            f"| {self.percentile(99):>8.1f} | {self.errors:>6} |"
        )


HEADER = (
    "| endpoint                     |      rps |   p50 ms |   p95 ms |   p99 ms | errors |\n"
    "|------------------------------|---------:|---------:|---------:|---------:|-------:|"
)


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    chunked = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _client(host, port, paths, headers, deadline, latencies, counters, index):
    reader, writer = await asyncio.open_connection(host, port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    i = index
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status = await _read_response(reader)
            latencies.append((time.perf_counter() - started) * 1000)
            counters["requests"] += 1
            if status >= 400:
                counters["errors"] += 1
    finally:
        writer.close()


async def _run(name, host, port, paths, headers, concurrency, seconds) -> Result:
    latencies: list[float] = []
    counters = {"requests": 0, "errors": 0}
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *[_client(host, port, paths, headers, deadline, latencies, counters, i) for i in range(concurrency)]
    )
    return Result(name, counters["requests"], counters["errors"], time.perf_counter() - started, latencies)


def measure(
    name: str, host: str, port: int, paths: list[str], *, headers: dict, concurrency: int, seconds: float
) -> Result:
    # A short warm-up so connection setup and first-hit caches don't skew the figures.
    asyncio.run(_run(name, host, port, paths, headers, concurrency, min(1.0, seconds / 5)))
    return asyncio.run(_run(name, host, port, paths, headers, concurrency, seconds))
