"""Every request the kit sends leaves through drs_conformance/transport/send.py: no other module opens an httpx client,
sends on one, or catches httpx's failures (each of which would let a lost connection escape as a broken rule)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "drs_conformance"
TRANSPORT = PACKAGE / "transport" / "send.py"
# The sandbox is the target, not the kit: its launcher's readiness probe of its own server is no request of a run.
NOT_THE_KIT = PACKAGE / "sandbox"

RULES = {
    "opens an httpx client or transport": re.compile(
        r"\bhttpx\.(Client|AsyncClient|HTTPTransport|AsyncHTTPTransport)\("
    ),
    "sends with httpx's functions": re.compile(r"\bhttpx\.(get|post|put|patch|delete|head|options|request|stream)\("),
    "sends on an httpx client": re.compile(r"\b_?http\.(send|request|get|post|put|patch|delete|head|stream)\("),
    "catches httpx's failures": re.compile(r"\bexcept\b[^:\n]*\bhttpx\."),
    "sends with requests": re.compile(r"\brequests\.(get|post|put|patch|delete|head|request|Session)\("),
}


def _kit_modules() -> list[Path]:
    modules = [path for path in sorted(PACKAGE.rglob("*.py")) if path != TRANSPORT and NOT_THE_KIT not in path.parents]
    assert len(modules) > 50, f"found {len(modules)} modules under {PACKAGE}: the scan looks in the wrong place"
    return modules


def breaches(source: str, rule: re.Pattern[str]) -> list[str]:
    """The lines of `source` that break `rule` (comments left out)."""
    return [line.strip() for line in source.splitlines() if rule.search(line.split("#", 1)[0])]


@pytest.mark.parametrize("name", [pytest.param(name, id=name.replace(" ", "-")) for name in RULES])
def test_no_module_but_the_transport_sends_or_catches_transport_failures(name: str) -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {line}"
        for path in _kit_modules()
        for line in breaches(path.read_text(encoding="utf-8"), RULES[name])
    ]
    assert not found, (
        f"received {len(found)} line(s) that {name} outside drs_conformance/transport/send.py, documented none "
        f"(send through transport.send_once / send_repeatable / open_client): {found[:5]}"
    )


@pytest.mark.parametrize(
    ("name", "line"),
    [
        pytest.param("opens an httpx client or transport", "self._http = httpx.Client(base_url=url)", id="client"),
        pytest.param("sends with httpx's functions", "reply = httpx.get(url, timeout=2)", id="function"),
        pytest.param("sends on an httpx client", "return self._http.request(method, path)", id="request"),
        pytest.param("sends on an httpx client", "response = http.send(request)", id="send"),
        pytest.param("catches httpx's failures", "    except (NoAnswer, httpx.HTTPError):", id="except"),
        pytest.param("sends with requests", "requests.post(url, data=body)", id="requests"),
    ],
)
def test_each_rule_finds_what_it_forbids(name: str, line: str) -> None:
    assert breaches(f"x = 1\n{line}\n", RULES[name]) == [line.strip()], f"the rule that {name} missed {line!r}"
    assert not breaches(f"# {line}\n", RULES[name]), f"the rule that {name} read a comment as code"


def test_the_transport_itself_does_what_the_others_may_not() -> None:
    source = TRANSPORT.read_text(encoding="utf-8")
    for name in ("opens an httpx client or transport", "sends on an httpx client", "catches httpx's failures"):
        assert breaches(source, RULES[name]), f"transport/send.py no longer {name}: the rule scans for the wrong thing"
