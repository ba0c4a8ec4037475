"""One cold start, in a fresh interpreter (see tests/bench/cpu.py): imports a handler the way Lambda's
init does, answers one request, prints its CPU and wall time and the process's peak memory as one
JSON line.

Reads `{"module": <file>, "attribute": "handler", "path": [dirs], "event": {...}, "status": [...]}`
on stdin. Run with `python -S`: the standard library and the `path` directories (the layer's
packages, and for ours the layer's source) are all there is to import, as on Lambda. Interpreter
start-up and this script's own imports (json, sys, time, importlib) come before the clock starts,
for both.
"""

import importlib.util
import json
import sys
import time


def high_water_mb() -> float:
    """Peak resident set (VmHWM), what Lambda reports as Max Memory Used (not ru_maxrss: on Linux
    that keeps the parent's high-water mark from before exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    job = json.loads(sys.stdin.read())
    sys.path[:0] = job["path"]
    cpu, wall = time.process_time(), time.perf_counter()
    spec = importlib.util.spec_from_file_location("app", job["module"])
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, job["attribute"])
    init_cpu = time.process_time() - cpu
    answer = handler(job["event"], None)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert answer["statusCode"] in job["status"], answer
    print(json.dumps({"init_cpu": init_cpu, "cpu": cpu, "wall": wall, "peak_mb": high_water_mb()}))


if __name__ == "__main__":
    main()
