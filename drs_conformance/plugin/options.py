"""The kit's options, stated once: flag, environment variable and config-file key for each."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import yaml

from drs_conformance.errors import ConfigError, UsageError
from drs_conformance.hints import did_you_mean, yaml_problem
from drs_conformance.transport.redaction import basic_credential, split_user_info

__all__ = [
    "CONFIG_ENV",
    "OPTIONS",
    "KitOptions",
    "Option",
    "add_argparse_options",
    "argparse_to_given",
    "child_run_environment",
    "resolve_options",
]

CONFIG_ENV = "DRS_CONFORMANCE_CONFIG"
EMBEDDED_RESUME_TIMEOUT = 5.0  # the embedded sandbox resumes synchronously: waiting longer finds nothing
# The settle window (docs/timing.md): it costs only when an effect never comes (a poll ends as soon as the job
# shows it), so an external target gets a generous one; the embedded sandbox applies at once (or after its lag).
DEFAULT_SETTLE_TIMEOUT = 10.0
EMBEDDED_SETTLE_TIMEOUT = 2.0
DEFAULT_EFFECT_LAG = 0.3  # the embedded sandbox's lag under effects=delayed


_OPTION = "drs_option"  # a KitOptions field's metadata key for its Option


@dataclass(frozen=True)
class Option:
    """One option: its flag, its environment variable, its place in the config file (read from KitOptions)."""

    flag: str
    dest: str
    help: str
    env: str | None = None
    config_key: str | None = None  # "section.key" in the YAML config file
    kind: str = "str"  # str | path | bool | int | count (an int >= 1) | float | list | shard (K/N)
    default: Any = None
    metavar: str | None = None
    secret: bool = False

    def parser_kwargs(self, dest: str) -> dict[str, Any]:
        """Keyword arguments for argparse's add_argument and pytest's addoption (None = not given)."""
        kwargs: dict[str, Any] = {"dest": dest, "help": self.help, "default": None}
        if self.kind == "bool":
            kwargs.update(action="store_const", const=True)
        elif self.kind == "list":
            kwargs.update(action="append", metavar=self.metavar)
        else:
            kwargs["metavar"] = self.metavar
        return kwargs


def option(
    flag: str,
    help: str,
    *,
    env: str | None = None,
    config: str | None = None,
    kind: str = "str",
    default: Any = None,
    metavar: str | None = None,
    secret: bool = False,
) -> Any:
    """A KitOptions field that is an option too: its flag, variable, config key and default, declared once."""
    declared = Option(
        flag=flag,
        dest="",
        help=help,
        env=env,
        config_key=config,
        kind=kind,
        default=default,
        metavar=metavar,
        secret=secret,
    )
    return field(default=default, repr=not secret, metadata={_OPTION: declared})


@dataclass(frozen=True)
class KitOptions:
    """Options after flags, environment and config file were merged and checked; each field that is an option
    declares it (`option(...)`), in the order of the help."""

    config: Path | None = option(
        "--config",
        "YAML config file with target, credentials and run options (sample: examples/drs-conformance.sample.yaml)",
        env=CONFIG_ENV,
        kind="path",
        metavar="FILE",
    )
    base_url: str | None = option(
        "--base-url",
        "base URL of an external target, e.g. https://drs.example.com (without it the embedded sandbox is used)",
        env="DRS_BASE_URL",
        config="target.base_url",
        metavar="URL",
    )
    project_id: str | None = option(
        "--project-id",
        "project ID the credentials belong to (path parameter project_id)",
        env="DRS_PROJECT_ID",
        config="target.project_id",
        metavar="ID",
    )
    # secrets: never in a repr (tracebacks print reprs)
    auth_token: str | None = option(
        "--auth-token",
        "IAM token sent as X-Auth-Token (prefer the environment variable)",
        env="DRS_AUTH_TOKEN",
        config="credentials.auth_token",
        metavar="TOKEN",
        secret=True,
    )
    ak: str | None = option(
        "--ak", "access key for AK/SK signing", env="DRS_AK", config="credentials.ak", metavar="AK", secret=True
    )
    sk: str | None = option(
        "--sk", "secret key for AK/SK signing", env="DRS_SK", config="credentials.sk", metavar="SK", secret=True
    )
    control_api: bool = option(
        "--control-api",
        "the target serves the sandbox control API (/_sandbox/...): every test runs (vendor sandboxes)",
        env="DRS_CONTROL_API",
        config="target.control_api",
        kind="bool",
        default=False,
    )
    inventory: Path | None = option(
        "--inventory",
        "inventory of jobs provisioned for testing on a live target: only those are paused, and resumed afterwards",
        env="DRS_INVENTORY",
        config="inventory",
        kind="path",
        metavar="FILE",
    )
    strict_conformance: bool = option(
        "--strict-conformance",
        "SHOULD violations (and fixed known deviations) fail the run too",
        env="DRS_STRICT_CONFORMANCE",
        config="run.strict_conformance",
        kind="bool",
        default=False,
    )
    require_complete: bool = option(
        "--require-complete",
        "an incomplete run (no failure, but some MUST or EITHER requirement not judged) exits 5 instead of 0",
        env="DRS_REQUIRE_COMPLETE",
        config="run.require_complete",
        kind="bool",
        default=False,
    )
    report_dir: Path = option(
        "--report-dir",
        "where reports are written",
        env="DRS_REPORT_DIR",
        config="run.report_dir",
        kind="path",
        metavar="DIR",
        default=Path("reports"),
    )
    report_url: str | None = option(
        "--report-url",
        "where the report directory is published (e.g. "
        "https://ci.example.com/builds/7/reports/): Allure's requirement links point at its conformance.html "
        "(default: ../conformance.html, beside allure-report/)",
        env="DRS_REPORT_URL",
        config="run.report_url",
        metavar="URL",
    )
    # None: journal.default_journal_path()
    journal: Path | None = option(
        "--journal",
        "write-ahead journal of the jobs a live run may have paused and not yet put "
        "back (default: $XDG_STATE_HOME/drs-conformance/journal.jsonl, i.e. ~/.local/state/...); "
        "drs-conformance restore reads it",
        env="DRS_JOURNAL",
        config="run.journal",
        kind="path",
        metavar="FILE",
    )
    known_deviations: Path | None = option(
        "--known-deviations",
        "YAML file of known deviations (requirement, optional test, reason, optional expiry)",
        env="DRS_KNOWN_DEVIATIONS",
        config="run.known_deviations",
        kind="path",
        metavar="FILE",
    )
    # --requirement: only their tests run, and the verdict covers only them
    bundle: Path | None = option(  # --bundle: the run also written as one verifiable zip
        "--bundle",
        "also write the run as one verifiable zip (reports, exchanges, catalogue, document, manifest of SHA-256); "
        "check it with: drs-conformance report verify FILE.zip",
        env="DRS_BUNDLE",
        config="run.bundle",
        kind="path",
        metavar="FILE.zip",
    )
    sign_key: Path | None = option(  # --sign-key: the private key that signs the bundle's manifest
        "--sign-key",
        "Ed25519 private key (PEM, unencrypted) that signs the bundle's manifest (needs --bundle)",
        env="DRS_SIGN_KEY",
        config="run.sign_key",
        kind="path",
        metavar="KEY.pem",
    )
    requirements: tuple[str, ...] = option(
        "--requirement",
        "run only the tests of this requirement (repeatable; the ids: "
        "drs-conformance requirements); the verdict then covers the chosen requirements only",
        env="DRS_REQUIREMENTS",
        config="run.requirements",
        kind="list",
        metavar="ID",
        default=(),
    )
    seed: int = option(
        "--seed",
        "seed of every generated case (hypothesis and schemathesis)",
        env="DRS_SEED",
        config="run.seed",
        kind="int",
        metavar="N",
        default=0,
    )
    rate_limit: float | None = option(
        "--rate-limit",
        "at most this many requests per second to the target (the whole run: every worker together)",
        env="DRS_RATE_LIMIT",
        config="run.rate_limit",
        kind="float",
        metavar="N",
    )
    max_workers: int | None = option(
        "--max-workers",
        "drs-conformance run against an external target runs the tests in "
        "parallel pytest-xdist workers, as many as the round-trip time it measures pays for: at most this many "
        "(1: one process; `-- -n N` sets the number outright)",
        env="DRS_MAX_WORKERS",
        config="run.max_workers",
        kind="count",
        metavar="N",
    )
    shard: tuple[int, int] | None = option(  # --shard K/N: (K, N), 1-based
        "--shard",
        "run shard K of N (1-based): a deterministic, cost-balanced 1/N of the tests, the same on every machine; "
        "merge the N report directories with drs-conformance report merge (docs/sharding.md)",
        env="DRS_SHARD",
        config="run.shard",
        kind="shard",
        metavar="K/N",
    )
    timeout: float = option(
        "--request-timeout",
        "seconds to wait for one answer of the target",
        env="DRS_TIMEOUT",
        config="run.timeout",
        kind="float",
        metavar="S",
        default=30.0,
    )
    resume_timeout: float = option(
        "--resume-timeout",
        "seconds to wait for a resumed job to leave PAUSING "
        "(default 60; 5 for the embedded sandbox, which resumes at once)",
        env="DRS_RESUME_TIMEOUT",
        config="run.resume_timeout",
        kind="float",
        metavar="S",
        default=60.0,
    )
    settle_timeout: float = option(
        "--settle-timeout",
        "seconds a pause or resume answered success may take to show in batch-status and the control API "
        "(default 10; 2 for the embedded sandbox, plus its lag under effects=delayed); see docs/timing.md",
        env="DRS_SETTLE_TIMEOUT",
        config="run.settle_timeout",
        kind="float",
        metavar="S",
        default=DEFAULT_SETTLE_TIMEOUT,
    )
    sandbox_defect: str | None = option(
        "--sandbox-defect",
        "embedded sandbox only: break this one rule (see: drs-conformance sandbox --list-defects)",
        metavar="NAME",
    )
    sandbox_variants: tuple[str, ...] = option(
        "--sandbox-variant",
        "embedded sandbox only: take this allowed choice, "
        "NAME=OPTION (repeatable; see: drs-conformance sandbox --list-variants)",
        kind="list",
        metavar="NAME=OPTION",
        default=(),
    )
    sandbox_effect_lag: float = option(
        "--sandbox-effect-lag",
        "embedded sandbox only, with --sandbox-variant effects=delayed: seconds a pause or resume takes to show "
        f"(default {DEFAULT_EFFECT_LAG:g})",
        kind="float",
        metavar="S",
        default=DEFAULT_EFFECT_LAG,
    )
    sources: Mapping[str, str] = field(default_factory=dict)  # where each value came from
    # The user-info --base-url carried (user, password): kept out of base_url, which reports and messages show.
    base_url_user_info: tuple[str, str] | None = field(default=None, repr=False)
    # Where the processes of one run (xdist workers) share --rate-limit's next free slot (set by the plugin).
    rate_limit_file: Path | None = None

    @property
    def embedded(self) -> bool:
        return self.base_url is None

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """hypothesis prints a dataclass's fields, not its repr (which leaves the secrets out): print the repr."""
        printer.text(repr(self))

    @property
    def mode(self) -> str:
        """embedded | control-api | inventory | read-only."""
        if self.embedded:
            return "embedded"
        if self.control_api:
            return "control-api"
        if self.inventory is not None:
            return "inventory"
        return "read-only"

    @property
    def keeps_journal(self) -> bool:
        """Whether the run may change jobs it does not own (inventory, an external control API), so journals them."""
        return self.mode in ("control-api", "inventory")

    @property
    def journal_path(self) -> Path:
        """The journal file: --journal, or the default in the user's state directory."""
        from drs_conformance.live.journal import default_journal_path

        return self.journal if self.journal is not None else default_journal_path()

    @property
    def request_url(self) -> str | None:
        """The base URL requests go to: base_url with the user-info it was given (sent as HTTP Basic)."""
        if self.base_url is None or self.base_url_user_info is None:
            return self.base_url
        user, password = (quote(part, safe="") for part in self.base_url_user_info)
        parts = urlsplit(self.base_url)
        return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value of the options: credentials and the user-info of --base-url (user and password)."""
        user_info = self.base_url_user_info
        from_url = (*user_info, basic_credential(*user_info)) if user_info else ()
        return tuple(v for v in (self.auth_token, self.ak, self.sk, *from_url) if v)

    def to_dict(self) -> dict[str, Any]:
        """Every value, secrets included, as plain data (to hand to xdist workers, never to reports)."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif item.name == "sources":
                value = dict(value)
            data[item.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KitOptions:
        paths = {"inventory", "report_dir", "journal", "known_deviations", "config", "rate_limit_file"}
        paths |= {"bundle", "sign_key"}  # the evidence bundle's
        values: dict[str, Any] = {
            key: (
                Path(value)
                if key in paths and value is not None
                else tuple(value)
                if isinstance(value, list)
                else value
            )
            for key, value in data.items()
        }
        return cls(**values)

    def public(self) -> dict[str, Any]:
        """The options as a dict with every secret replaced (for reports)."""
        shown: dict[str, Any] = {}
        for option in OPTIONS:
            value = getattr(self, option.dest)
            if option.secret:
                value = "[REDACTED]" if value else None
            elif option.kind == "shard":
                value = None if value is None else f"{value[0]}/{value[1]}"
            elif isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            shown[option.dest] = value
        return shown


OPTIONS: tuple[Option, ...] = tuple(
    replace(item.metadata[_OPTION], dest=item.name) for item in fields(KitOptions) if _OPTION in item.metadata
)


def _missing(value: Any) -> bool:
    return value is None or value == () or value == []


def _convert(option: Option, value: Any, origin: str) -> Any:
    """A raw value (string from flag/env, or YAML value) as the option's type, or a one-line error."""
    if value is None:
        return None
    try:
        if option.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(f"{value!r} is not a yes/no value (give yes or no, true or false, 1 or 0)")
        if option.kind == "int":
            if isinstance(value, bool) or not str(value).strip().lstrip("+-").isdigit():
                raise ValueError(f"{value!r} is not a whole number; give e.g. {option.flag} {option.default or 0}")
            return int(value)
        if option.kind == "count":
            text = str(value).strip()
            if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
                raise ValueError(f"{value!r} is not a whole number of at least 1")
            return int(text)
        if option.kind == "float":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{value!r} is not a number; give e.g. {option.flag} 10") from None
            if not number > 0 or number == float("inf"):
                raise ValueError(f"{value!r} is not a positive number; give e.g. {option.flag} 10")
            return number
        if option.kind == "shard":
            from drs_conformance.plugin.sharding import parse_shard

            shard = parse_shard(str(value))
            return (shard.index, shard.count)
        if option.kind == "path":
            return Path(str(value)).expanduser()
        if option.kind == "list":
            return tuple(str(item) for item in value) if isinstance(value, (list, tuple)) else (str(value),)
        return str(value)
    except ValueError as exc:
        where = "" if origin == option.flag else f" (from {origin})"
        raise UsageError(f"{option.flag}{where}: {exc}") from None


def _read_config(path: Path, origin: str = "--config") -> dict[str, Any]:
    """The config file as flat {"section.key": value}, or a one-line ConfigError (`origin` names where it was given)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}; check {origin}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must be a mapping of sections (target, credentials, run)")
    known = {o.config_key for o in OPTIONS if o.config_key}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                flat[f"{key}.{sub}"] = sub_value
        else:
            flat[str(key)] = value
    unknown = sorted(set(flat) - known)
    if unknown:
        hint = did_you_mean(unknown[0], known) or f"; known settings: {', '.join(sorted(known))}"
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}{hint}")
    return flat


def resolve_options(given: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> KitOptions:
    """Merge flag values (`given`, by dest; None = not given) over environment over config file, then check."""
    environ = os.environ if environ is None else environ
    config_option = OPTIONS[0]
    config_origin = "--config" if given.get("config") else f"the environment variable {CONFIG_ENV}"
    config_path = given.get("config") or (environ.get(CONFIG_ENV) or None)
    config_path = _convert(config_option, config_path, config_origin) if config_path else None
    from_file = _read_config(config_path, config_origin) if config_path else {}

    values: dict[str, Any] = {"config": config_path}
    sources: dict[str, str] = {}
    for option in OPTIONS[1:]:
        raw, origin = given.get(option.dest), option.flag
        if _missing(raw) and option.env and environ.get(option.env):
            raw, origin = environ[option.env], f"environment variable {option.env}"
            if option.kind == "list":  # DRS_REQUIREMENTS="A B" or "A,B"
                raw = raw.replace(",", " ").split()
        if _missing(raw) and option.config_key in from_file:
            raw, origin = from_file[option.config_key], f"{config_path} ({option.config_key})"
        if _missing(raw):
            values[option.dest] = _convert(option, option.default, "default")
        else:
            values[option.dest] = _convert(option, raw, origin)
            sources[option.dest] = origin
    if values.get("base_url"):
        values["base_url"], values["base_url_user_info"] = split_user_info(values["base_url"])
    if "resume_timeout" not in sources and values.get("base_url") is None:
        values["resume_timeout"] = EMBEDDED_RESUME_TIMEOUT
    if "settle_timeout" not in sources and values.get("base_url") is None:
        delayed = any(text.replace(" ", "") == "effects=delayed" for text in values.get("sandbox_variants") or ())
        values["settle_timeout"] = EMBEDDED_SETTLE_TIMEOUT + (values["sandbox_effect_lag"] if delayed else 0.0)
    options = KitOptions(
        **{k: v for k, v in values.items() if k in {f.name for f in fields(KitOptions)}}, sources=sources
    )
    _check(options)
    return options


def _check_requirements(requirements: Sequence[str]) -> None:
    """Every --requirement id is in the catalogue (a near miss is named)."""
    from drs_conformance.contract.catalogue import catalogue

    known = catalogue().ids
    for requirement in requirements:
        if requirement not in known:
            raise UsageError(
                f"--requirement {requirement!r} is not a requirement id{did_you_mean(requirement, known)} "
                "(see: drs-conformance requirements)"
            )


def _check_sandbox(defect: str | None, variants: Sequence[str]) -> None:
    """--sandbox-defect and --sandbox-variant name a defect, variants and options the sandbox has."""
    from drs_conformance.sandbox.defects import list_defects
    from drs_conformance.sandbox.variants import parse_variant_choices

    if defect is not None:
        names = [d.name for d in list_defects()]
        if defect not in names:
            raise UsageError(
                f"--sandbox-defect: unknown defect {defect!r}{did_you_mean(defect, names)} "
                "(see: drs-conformance sandbox --list-defects)"
            )
    parse_variant_choices(variants, flag="--sandbox-variant")


def _check(options: KitOptions) -> None:
    """Raise a one-line UsageError for a combination that cannot work, saying how to fix it."""
    _check_requirements(options.requirements)
    if options.sign_key is not None and options.bundle is None:
        raise UsageError("--sign-key signs the bundle's manifest: give --bundle FILE.zip too")
    if options.base_url is None:
        _check_sandbox(options.sandbox_defect, options.sandbox_variants)
        for dest, flag in (
            ("project_id", "--project-id"),
            ("auth_token", "--auth-token"),
            ("ak", "--ak"),
            ("sk", "--sk"),
            ("inventory", "--inventory"),
        ):
            if getattr(options, dest):
                raise UsageError(
                    f"{flag} needs --base-url (without --base-url the embedded sandbox is used, "
                    "with its own credentials)"
                )
        if options.control_api:
            raise UsageError("--control-api needs --base-url (the embedded sandbox always has it)")
        return
    parts = urlsplit(options.base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(f"--base-url {options.base_url!r} is not an http(s) URL; give e.g. https://drs.example.com")
    if options.sandbox_defect or options.sandbox_variants or "sandbox_effect_lag" in options.sources:
        raise UsageError(
            "--sandbox-defect/--sandbox-variant/--sandbox-effect-lag apply to the embedded sandbox only; "
            "drop --base-url or start the sandbox with --defect"
        )
    if options.auth_token and (options.ak or options.sk):
        raise UsageError("give either --auth-token or --ak/--sk, not both")
    if bool(options.ak) != bool(options.sk):
        raise UsageError("--ak and --sk go together; give both")
    if not (options.auth_token or options.ak):
        raise UsageError(
            "an external target needs credentials: give --auth-token TOKEN (or DRS_AUTH_TOKEN) or --ak AK --sk SK"
        )
    if options.control_api and options.inventory:
        raise UsageError("choose one of --control-api (a sandbox) and --inventory (live staging)")
    if not options.project_id and not options.inventory:
        raise UsageError("--project-id is required with --base-url (or give --inventory, which names it)")


def add_argparse_options(parser: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    """Add the option table to an argparse parser (values default to None = not given)."""
    for option in OPTIONS:
        if only is None or option.dest in only:
            parser.add_argument(option.flag, **option.parser_kwargs(option.dest))


def argparse_to_given(namespace: argparse.Namespace) -> dict[str, Any]:
    return {option.dest: getattr(namespace, option.dest, None) for option in OPTIONS}


def child_run_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for a child `drs-conformance run` that must take only its own flags: no option variable, no pytest settings."""
    options = {option.env for option in OPTIONS if option.env}
    return {
        name: value
        for name, value in environ.items()
        if name not in options and name not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")
    }
