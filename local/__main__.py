"""python -m local {serve,token,seed,invoke,dynamodb-local,events,openapi,fuzz}"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="The activity-tracker stack on this machine.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run every route of template.yaml on $PORT (default 3000)")
    token = sub.add_parser("token", help="print a local JWT")
    token.add_argument("--email", required=True)
    token.add_argument("--org", required=True, help="custom:org_id")
    token.add_argument("--sub", help="user id (default: derived from the email)")
    token.add_argument("--campus", help="custom:campus_id")
    token.add_argument("--ttl", type=int, default=None, help="seconds (default 8 h)")
    token.add_argument("--unverified", action="store_true", help="email_verified false (the API then refuses a first sign-in)")
    seed = sub.add_parser("seed", help="create demo data through the HTTP API of a running stack")
    seed.add_argument("--url", default=None, help="default http://127.0.0.1:$PORT")
    seed.add_argument("--org", default="demo-org")
    engine = sub.add_parser("dynamodb-local", help="install the pinned DynamoDB Local (once) and check that Java can run it")
    engine.add_argument("--optional", action="store_true", help="warn instead of failing when it cannot run here (make local falls back to moto)")
    sub.add_parser("events", help="(re)write events/<function>.json from template.yaml")
    invoke = sub.add_parser("invoke", help="invoke a template function against the running stack (default event: a scheduled one)")
    invoke.add_argument("function", help="logical id in template.yaml, e.g. ExportsScheduleFunction")
    invoke.add_argument("--event", help="a JSON file with the event")
    invoke.add_argument("--event-json", help="the event itself, as JSON text")
    openapi = sub.add_parser("openapi", help="(re)write docs/openapi.json from template.yaml and the handlers")
    openapi.add_argument("--check", action="store_true", help="only compare with the committed file (exit 1 when it differs)")
    fuzz = sub.add_parser("fuzz", help="schemathesis over every operation of docs/openapi.json against a fresh local stack")
    fuzz.add_argument("--max-examples", type=int, default=100, help="examples per operation (default 100)")
    fuzz.add_argument("extra", nargs="*", help="more arguments for `schemathesis run` (after --)")
    args = parser.parse_args(argv)

    if args.command == "serve":
        from local.runner import serve

        serve()
    elif args.command == "token":
        from local.jwt_local import LOCAL_TOKEN_TTL_SECONDS, mint, stable_sub

        if not args.email.strip() or not args.org.strip():
            print("usage: make token EMAIL=<email> ORG=<organization id> [SUB=...] [CAMPUS=...] [UNVERIFIED=1]", file=sys.stderr)
            return 2
        print(mint(args.sub or stable_sub(args.email), args.email, args.org, args.campus, args.ttl or LOCAL_TOKEN_TTL_SECONDS, verified=not args.unverified))
    elif args.command == "seed":
        from local.seed import seed as run_seed

        return run_seed(args.url, args.org)
    elif args.command == "invoke":
        import json

        from local.runner import invoke as run_invoke

        event = json.loads(args.event_json) if args.event_json else json.loads(open(args.event).read()) if args.event else None
        print(json.dumps(run_invoke(args.function, event), indent=2, default=str))
    elif args.command == "dynamodb-local":
        from local.dynamodb_local import check

        return check(optional=args.optional)
    elif args.command == "events":
        from local.sample_events import write_all

        for path in write_all():
            print(path)
    elif args.command == "openapi":
        from local import query_specs
        from local.openapi import main as run_openapi

        if args.check:
            return run_openapi(check_only=True) or (0 if query_specs.check() else 1)
        query_specs.write()
        return run_openapi()
    elif args.command == "fuzz":
        from local.fuzz import main as run_fuzz

        return run_fuzz(args.max_examples, args.extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
