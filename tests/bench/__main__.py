"""python -m tests.bench [area ...]: run the benchmarks and write docs/benchmarks.md."""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def chunks(markdown: str) -> list[str]:
    """The `## ` sections of a Markdown text, each from its heading to the next."""
    out: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            out.append(line)
        elif out:
            out[-1] += "\n" + line
    return [chunk.strip() for chunk in out]


def merge(old_document: str, new_body: str) -> str:
    """The old document's sections, those with a heading in `new_body` replaced, new ones appended."""
    new = {chunk.splitlines()[0]: chunk for chunk in chunks(new_body)}
    kept = [new.pop(chunk.splitlines()[0], chunk) for chunk in chunks(old_document)]
    return "\n\n".join(kept + list(new.values()))


def main(selected: list[str]) -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DYNAMODB_READ_TIMEOUT_SECONDS", "120")  # the local store is slow with big tables; DynamoDB is not
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    from local.services import LocalServices, create_resources
    from local.template import Stack

    stack = Stack(parameters={"AdminEmails": "bench-admin@bench.example", "ExportsDailyQuota": "1000"})  # more exports than a day allows
    for name, value in stack.environment().items():
        os.environ[name] = value
    services = LocalServices()
    endpoints = services.start()
    create_resources(stack)

    from tests.bench import BenchEnv
    from tests.helpers import Api

    env = BenchEnv(api=Api(stack), endpoints=endpoints)
    modules = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))
    sections = []
    try:
        for name in modules:
            if selected and name not in selected:
                continue
            module = importlib.import_module(f"tests.bench.{name}")
            if not hasattr(module, "run"):  # a helper of the benchmarks (a subprocess's script, the bare twins)
                continue
            services.restart_dynamodb(stack)  # each benchmark starts from an empty engine
            started = time.perf_counter()
            print(f"bench {name} ...", flush=True)
            section = module.run(env)
            sections.append(section.strip())
            print(f"bench {name}: {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        services.stop()
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}.\n"
        f"DynamoDB is AWS's DynamoDB Local ({services.engine}) and S3 moto's server, on this machine, so absolute latencies are local ones; "
        "call counts and ratios measured in the same run are what carry over to AWS.\n"
    )
    document = ROOT / "docs" / "benchmarks.md"
    body = "\n\n".join(sections)
    if selected and document.exists():  # some areas only: replace their sections, keep the rest
        body = merge(document.read_text(), body)
        header = header.replace("Written by `make bench` on", "Last written by `make bench` (" + " ".join(selected) + ") on")
    document.write_text(header + "\n" + body + "\n")
    print("wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
