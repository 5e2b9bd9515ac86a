"""`drs-conformance sandbox`: options and entry point (the lead wires `add_arguments`/`run` into cli.py)."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from drs_conformance.contract.inventory import load_inventory
from drs_conformance.errors import UsageError
from drs_conformance.sandbox.config import (
    CONTROL_EXTENSIONS,
    DEFAULT_AK,
    DEFAULT_PROJECT,
    DEFAULT_SK,
    DEFAULT_TOKEN,
    AccessKey,
    SandboxConfig,
)
from drs_conformance.sandbox.defects import ActiveDefect, get_defect, list_defects
from drs_conformance.sandbox.server import ServerLimits
from drs_conformance.sandbox.variants import list_variants, parse_variant_choices

__all__ = ["add_arguments", "check_host", "config_from_args", "limits_from_args", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of `drs-conformance sandbox` to `parser`."""
    where = parser.add_argument_group("where")
    where.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (loopback only unless --allow-remote; default 127.0.0.1)",
    )
    where.add_argument("--port", type=int, default=8080, help="port to listen on (0 = any free port; default 8080)")
    where.add_argument("--allow-remote", action="store_true", help="allow a --host that is not a loopback address")
    creds = parser.add_argument_group(
        f"credentials (default: token {DEFAULT_TOKEN} and the demo AK/SK, both for project {DEFAULT_PROJECT})"
    )
    creds.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN=PROJECT",
        help="accept X-Auth-Token TOKEN for PROJECT (repeatable; replaces the demo credentials)",
    )
    creds.add_argument(
        "--ak", help="accept AK/SK signatures of this access key (with --sk; replaces the demo credentials)"
    )
    creds.add_argument("--sk", help="the secret key of --ak")
    creds.add_argument(
        "--ak-project",
        metavar="PROJECT",
        help=f"the project --ak is valid for (default: the seed's project, else {DEFAULT_PROJECT})",
    )
    state = parser.add_argument_group("state and behaviour")
    state.add_argument(
        "--seed",
        metavar="FILE",
        help="inventory file (YAML, or JSON by suffix) to seed jobs from; default: the document's example job",
    )
    state.add_argument("--defect", metavar="NAME", help="run with one deliberate defect (see --list-defects)")
    state.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=OPTION",
        help="take an allowed option of the contract (repeatable; see --list-variants)",
    )
    state.add_argument(
        "--effect-lag",
        type=float,
        default=0.3,
        metavar="S",
        help="with --variant effects=delayed: seconds a pause or resume takes to show (default 0.3)",
    )
    state.add_argument("--no-control-api", action="store_true", help="do not serve the /_sandbox control API")
    state.add_argument(
        "--basic-control-api",
        action="store_true",
        help="serve only the four basic control-API "
        "endpoints (health, reset, PUT and GET one job), as a vendor's sandbox may: no DELETE, no bulk forms",
    )
    limits = parser.add_argument_group("limits (what one client may hold of the server)")
    limits.add_argument(
        "--header-timeout",
        type=float,
        default=ServerLimits.header_timeout,
        metavar="S",
        help="close a connection whose request head is not complete within S seconds "
        f"(a new connection's first one included; default {ServerLimits.header_timeout:g})",
    )
    limits.add_argument(
        "--keep-alive-timeout",
        type=float,
        default=ServerLimits.keep_alive_timeout,
        metavar="S",
        help="close a kept-alive connection idle for S seconds between requests "
        f"(default {ServerLimits.keep_alive_timeout:g})",
    )
    limits.add_argument(
        "--limit-concurrency",
        type=int,
        default=ServerLimits.limit_concurrency,
        metavar="N",
        help="at most N open connections: more are closed at once, and requests at the limit get "
        f"uvicorn's 503 (default {ServerLimits.limit_concurrency})",
    )
    limits.add_argument(
        "--max-header-bytes",
        type=int,
        default=ServerLimits.max_header_bytes,
        metavar="N",
        help="a request head over N bytes gets 400 (default 1 MiB: larger heads reach the API, which answers JSON)",
    )
    lists = parser.add_argument_group("information")
    lists.add_argument("--list-defects", action="store_true", help="print the defect gallery and exit")
    lists.add_argument("--list-variants", action="store_true", help="print the variants and their options and exit")


def _pair(value: str, option: str, shape: str) -> tuple[str, str]:
    left, sep, right = value.partition("=")
    if not sep or not left.strip() or not right.strip():
        raise UsageError(f"{option} {value!r} is malformed; write {option} {shape}")
    return left.strip(), right.strip()


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless explicitly allowed."""
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise UsageError(
            f"--host {host!r} is not an IP address; use 127.0.0.1 (or an address with --allow-remote)"
        ) from None
    if not loopback:
        raise UsageError(
            f"--host {host} is not a loopback address; the sandbox has no real security, add --allow-remote to expose it anyway"
        )


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The SandboxConfig the options describe (the seed file is read and validated here)."""
    if args.port < 0 or args.port > 65535:
        raise UsageError(f"--port {args.port} is out of range; use 0-65535")
    check_host(args.host, args.allow_remote)
    if args.defect is not None:
        get_defect(args.defect)
    variants = parse_variant_choices(args.variant, flag="--variant")
    seed = None
    if args.seed is not None:
        path = Path(args.seed)
        if not path.is_file():
            raise UsageError(f"--seed {args.seed}: no such file; give the path of an inventory file")
        seed = load_inventory(path)
    home = seed.project_id if seed is not None else DEFAULT_PROJECT
    tokens: dict[str, str] = {}
    for value in args.token:
        token, project = _pair(value, "--token", "TOKEN=PROJECT")
        if token in tokens:
            raise UsageError(f"--token {token} is given twice; give each token once")
        tokens[token] = project
    if (args.ak is None) != (args.sk is None):
        raise UsageError("--ak and --sk go together; give both (and optionally --ak-project)")
    if args.ak_project is not None and args.ak is None:
        raise UsageError("--ak-project needs --ak and --sk")
    access_keys: list[AccessKey] = []
    if args.ak is not None:
        access_keys.append(AccessKey(args.ak, args.sk, args.ak_project or home))
    if not tokens and not access_keys:  # the demo credentials, bound to the home project
        tokens = {DEFAULT_TOKEN: home}
        access_keys = [AccessKey(DEFAULT_AK, DEFAULT_SK, home)]
    return SandboxConfig(
        tokens=tokens,
        access_keys=tuple(access_keys),
        seed=seed,
        defect=ActiveDefect(args.defect),
        variants=variants,
        control_api=not args.no_control_api,
        control_extensions=() if args.basic_control_api else CONTROL_EXTENSIONS,
        effect_lag=args.effect_lag,
    )


def limits_from_args(args: argparse.Namespace) -> ServerLimits:
    """The server limits the options describe (a non-positive value is a one-line UsageError)."""
    return ServerLimits(
        header_timeout=args.header_timeout,
        keep_alive_timeout=args.keep_alive_timeout,
        limit_concurrency=args.limit_concurrency,
        max_header_bytes=args.max_header_bytes,
    )


def _print_defects(out: TextIO) -> None:
    defects = list_defects()
    width = max(len(d.name) for d in defects)
    req_width = max(len(d.requirement) for d in defects)
    for defect in defects:
        print(f"{defect.name:<{width}}  {defect.requirement:<{req_width}}  {defect.description}", file=out)


def _print_variants(out: TextIO) -> None:
    for variant in list_variants():
        options = ", ".join(f"{o} (default)" if o == variant.default else o for o in variant.options)
        print(
            f"{variant.name}={{{'|'.join(variant.options)}}}  [{variant.requirement or 'undocumented'}]  {variant.description}; options: {options}",
            file=out,
        )


def run(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Run `drs-conformance sandbox` with parsed options; bad input raises UsageError (one line)."""
    out = out or sys.stdout
    if args.list_defects:
        _print_defects(out)
        return 0
    if args.list_variants:
        _print_variants(out)
        return 0
    from drs_conformance.sandbox.server import serve

    return serve(config_from_args(args), host=args.host, port=args.port, out=out, limits=limits_from_args(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point (`python -m drs_conformance.cli.sandbox`), for use before cli.py wires it."""
    parser = argparse.ArgumentParser(
        prog="drs-conformance sandbox", description="Run the DRS batch-pause-task sandbox."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UsageError as exc:
        print(f"drs-conformance sandbox: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)


if __name__ == "__main__":
    raise SystemExit(main())
