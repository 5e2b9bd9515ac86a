"""The evidence bundle: a clean run's bundle verifies; one changed byte, a missing or added file, disagreeing
reports, another catalogue, an incomplete run or a job left paused each fail `report verify` with a line naming why;
no secret reaches any member."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from drs_conformance.cli import program as cli
from drs_conformance.errors import ExitCode
from drs_conformance.evidence.bundle import JOURNAL_MEMBER, MANIFEST, REPORT_MEMBERS, SIGNATURE, bundle_members
from drs_conformance.evidence.run_evidence import CATALOGUE_FILE, SPEC_FILE
from drs_conformance.sandbox import DEFAULT_AK, DEFAULT_PROJECT, DEFAULT_SK
from tests.fault_proxy import FaultProxy, UpstreamAnswer, rewrite

TOKEN = "bundle-token-" + "5e2d8c1a" * 5
_HEX64 = re.compile(rb"[0-9a-f]{64}")
EXCHANGES = "exchanges/main.jsonl"
# Every member a clean embedded run's signed bundle holds (partition.json only in a sharded run).
MEMBERS = (*REPORT_MEMBERS, CATALOGUE_FILE, SPEC_FILE, EXCHANGES, "options.json", JOURNAL_MEMBER)


@dataclass(frozen=True)
class Bundled:
    """One clean embedded run, bundled and signed, with the key pair and its report directory."""

    zip: Path
    report_dir: Path
    public_key: Path
    private_key: Path
    other_public_key: Path


def _child_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DRS_", "HYPOTHESIS"))}
    return {**env, "XDG_STATE_HOME": str(tmp / "state")}


def _kit(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "drs_conformance", *args],
        cwd=tmp,
        env=_child_env(tmp),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = folder / f"{name}.pem", folder / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Bundled:
    """`drs-conformance run --bundle --sign-key` against the embedded sandbox (one run for the whole module)."""
    tmp = tmp_path_factory.mktemp("bundled")
    private, public = _key_pair(tmp, "vendor")
    _, other = _key_pair(tmp, "other")
    reports, zip_path = tmp / "reports", tmp / "evidence.zip"
    run = _kit(tmp, "run", "--report-dir", str(reports), "--bundle", str(zip_path), "--sign-key", str(private))
    assert run.returncode == ExitCode.CONFORMANT, run.stdout[-3000:] + run.stderr
    assert f"bundle {zip_path}" in run.stdout, run.stdout[-2000:]
    return Bundled(zip=zip_path, report_dir=reports, public_key=public, private_key=private, other_public_key=other)


def _verify(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, str]:
    code = cli.main(["report", "verify", str(path), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def _rehashed(members: dict[str, bytes], changed: dict[str, bytes]) -> dict[str, bytes]:
    """`members` with some files replaced and the (unsigned) manifest made to match them: a careful forgery."""
    manifest = json.loads(members[MANIFEST])
    for name, data in changed.items():
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    out = {name: changed.get(name, data) for name, data in members.items() if name != SIGNATURE}
    out[MANIFEST] = json.dumps(manifest).encode()
    return out


def test_a_clean_run_bundle_verifies_with_its_key(bundled: Bundled, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _verify(capsys, bundled.zip, "--public-key", str(bundled.public_key))
    assert code == ExitCode.CONFORMANT, output
    assert "verified" in output and "the signature verifies" in output and "verdict conformant" in output, output


def test_a_signed_bundle_checked_without_its_key_says_so(bundled: Bundled, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _verify(capsys, bundled.zip)
    assert code == ExitCode.CONFORMANT, output
    assert "the signature was not checked: give the signer's public key with --public-key" in output, output


def test_another_key_does_not_verify_the_signature(bundled: Bundled, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _verify(capsys, bundled.zip, "--public-key", str(bundled.other_public_key))
    assert code == ExitCode.NON_CONFORMANT, output
    assert "manifest.sig.json: signed by another key" in output, output


def test_the_bundle_holds_every_member_and_every_test_s_exchanges(bundled: Bundled) -> None:
    members = _members(bundled.zip)
    assert set(members) == {*MEMBERS, MANIFEST, SIGNATURE}, f"received members {sorted(members)}"
    manifest = json.loads(members[MANIFEST])
    assert set(manifest["files"]) == set(MEMBERS), f"the manifest lists {sorted(manifest['files'])}"
    report = json.loads(members["conformance.json"])
    tests = {test["nodeid"] for requirement in report["requirements"] for test in requirement["tests"]}
    recorded = {json.loads(line)["test"] for line in members[EXCHANGES].decode().splitlines()}
    assert tests and tests == recorded, f"tests without exchanges: {sorted(tests - recorded)[:5]}"
    assert manifest["seed"] == report["run"]["seed"] and manifest["kit_version"] == report["run"]["kit_version"]
    assert json.loads(members["options.json"]) == report["run"]["options"]
    assert json.loads(members[JOURNAL_MEMBER])["kept"] is False, "an embedded run keeps no journal"


@pytest.mark.parametrize("member", [pytest.param(name, id=name) for name in (*MEMBERS, MANIFEST, SIGNATURE)])
def test_one_changed_byte_of_any_member_fails(
    bundled: Bundled, member: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = _members(bundled.zip)
    members[member] = _flip_one_byte(members[member])
    changed = _write_zip(tmp_path / "changed.zip", members)
    code, output = _verify(capsys, changed, "--public-key", str(bundled.public_key))
    assert code == ExitCode.NON_CONFORMANT, f"one byte of {member} changed, yet verify passed:\n{output}"
    named = SIGNATURE if member in (MANIFEST, SIGNATURE) else member
    assert named in output, f"received {output!r}, documented a line naming {named}"


@pytest.mark.parametrize("member", [pytest.param(name, id=name) for name in MEMBERS])
def test_one_changed_byte_fails_without_a_signature_too(
    bundled: Bundled, member: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unsigned, the manifest still catches one file edited against the others."""
    members = _members(bundled.zip)
    del members[SIGNATURE]
    members[member] = _flip_one_byte(members[member])
    code, output = _verify(capsys, _write_zip(tmp_path / "changed.zip", members))
    assert code == ExitCode.NON_CONFORMANT and f"{member}: SHA-256" in output, output


@pytest.mark.parametrize("member", [pytest.param(name, id=name) for name in (*MEMBERS, MANIFEST, SIGNATURE)])
def test_a_removed_member_fails(
    bundled: Bundled, member: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = _members(bundled.zip)
    del members[member]
    code, output = _verify(
        capsys, _write_zip(tmp_path / "removed.zip", members), "--public-key", str(bundled.public_key)
    )
    assert code == ExitCode.NON_CONFORMANT, f"{member} removed, yet verify passed:\n{output}"
    assert member in output, f"received {output!r}, documented a line naming {member}"


def test_an_added_member_fails(bundled: Bundled, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    members = {**_members(bundled.zip), "exchanges/gw9.jsonl": b'{"test": "made up"}\n'}
    code, output = _verify(capsys, _write_zip(tmp_path / "added.zip", members))
    assert code == ExitCode.NON_CONFORMANT
    assert "exchanges/gw9.jsonl: in the bundle, not in the manifest" in output, output


def test_reports_that_disagree_on_the_verdict_fail(
    bundled: Bundled, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = _members(bundled.zip)
    markdown = members["conformance.md"].replace(b"\xe2\x9c\x85 CONFORMANT", "❌ NON-CONFORMANT".encode())
    assert markdown != members["conformance.md"], "the markdown report states no verdict to change"
    forged = _rehashed(members, {"conformance.md": markdown})
    code, output = _verify(capsys, _write_zip(tmp_path / "forged.zip", forged))
    assert code == ExitCode.NON_CONFORMANT
    assert "conformance.md says non-conformant, conformance.json says conformant" in output, output


def test_a_catalogue_other_than_the_kit_s_fails(
    bundled: Bundled, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    members = _members(bundled.zip)
    catalogue = members[CATALOGUE_FILE].replace(b"level: MUST", b"level: SHOULD", 1)
    assert catalogue != members[CATALOGUE_FILE]
    code, output = _verify(capsys, _write_zip(tmp_path / "forged.zip", _rehashed(members, {CATALOGUE_FILE: catalogue})))
    assert code == ExitCode.NON_CONFORMANT
    assert f"{CATALOGUE_FILE}: the requirement catalogue of the run differs" in output, output
    assert SPEC_FILE not in output, f"only the catalogue was changed: {output}"


def test_a_job_left_paused_fails(bundled: Bundled, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    members = _members(bundled.zip)
    report = json.loads(members["conformance.json"])
    report["run"]["live_jobs"] = {
        "journal": "j.jsonl",
        "run_id": "r1",
        "left_paused": [{"job_id": "job-7", "why": "x"}],
    }
    journal = {"kept": True, "not_closed": ["job-7", "job-8"]}
    forged = _rehashed(
        members, {"conformance.json": json.dumps(report).encode(), JOURNAL_MEMBER: json.dumps(journal).encode()}
    )
    code, output = _verify(capsys, _write_zip(tmp_path / "forged.zip", forged))
    assert code == ExitCode.NON_CONFORMANT
    assert "job job-7 was left paused on the target" in output, output
    assert "job job-8: journaled by the run and never closed" in output, output


def _copy_reports(source: Path, report_dir: Path) -> Path:
    """A copy of a run's report directory (Allure's results left out), to change without changing the run's."""
    for path in source.rglob("*"):
        if path.is_file() and "allure-results" not in path.parts:
            target = report_dir / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    return report_dir


def test_the_journal_summary_reads_the_run_s_own_events(tmp_path: Path, bundled: Bundled) -> None:
    """The put-back summary counts the journal's open and close events of this run only."""
    report_dir = _copy_reports(bundled.report_dir, tmp_path / "reports")
    journal = tmp_path / "journal.jsonl"
    events = [
        {"event": "open", "run_id": "r1", "job_id": "a"},
        {"event": "open", "run_id": "r1", "job_id": "b"},
        {"event": "close", "run_id": "r1", "job_id": "a"},
        {"event": "open", "run_id": "r0", "job_id": "c"},
    ]
    journal.write_text("\n".join(json.dumps(e) for e in events) + "\n{torn", encoding="utf-8")
    report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    report["run"]["live_jobs"] = {"journal": str(journal), "run_id": "r1", "left_paused": []}
    (report_dir / "conformance.json").write_text(json.dumps(report), encoding="utf-8")
    summary = json.loads(bundle_members(report_dir)[JOURNAL_MEMBER])
    assert (summary["journaled"], summary["not_closed"]) == (["a", "b"], ["b"]), summary


@pytest.mark.parametrize(
    ("seed", "verified"), [pytest.param(None, True, id="same-seed"), pytest.param(7, False, id="other-seed")]
)
def test_a_shard_s_partition_fingerprint_is_bundled_and_checked(
    bundled: Bundled, tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int | None, verified: bool
) -> None:
    report_dir = _copy_reports(bundled.report_dir, tmp_path / "reports")
    run = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))["run"]
    partition = {
        "kit_version": run["kit_version"],
        "spec_sha256": hashlib.sha256((report_dir / "evidence" / SPEC_FILE).read_bytes()).hexdigest(),
        "seed": int(run["seed"]) if seed is None else seed,
        "options": {},
        "shard": {"index": 1, "count": 2},
        "nodeids": [],
    }
    (report_dir / "partition.json").write_text(json.dumps(partition), encoding="utf-8")
    out = tmp_path / "shard.zip"
    assert cli.main(["report", "bundle", str(report_dir), "-o", str(out)]) == ExitCode.CONFORMANT
    assert "partition.json" in json.loads(_members(out)[MANIFEST])["files"]
    code, output = _verify(capsys, out)
    assert "shard 1 of 2 of a sharded run" in output, output
    if verified:
        assert code == ExitCode.CONFORMANT, output
    else:
        assert code == ExitCode.NON_CONFORMANT and "partition.json says seed 7, conformance.json says 0" in output


def test_an_incomplete_run_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run of one requirement's tests: its bundle is sound, and says the run judged only that."""
    zip_path = tmp_path / "one.zip"
    run = _kit(tmp_path, "run", "--requirement", "COUNT-EQUALS-RESULTS", "--bundle", str(zip_path))
    assert run.returncode == ExitCode.CONFORMANT and zip_path.is_file(), run.stdout[-2000:] + run.stderr
    code, output = _verify(capsys, zip_path)
    assert code == ExitCode.NON_CONFORMANT, output
    assert "the run judged chosen requirements only (--requirement)" in output, output
    assert "SHA-256" not in output, f"the files themselves are sound: {output}"


def test_report_bundle_packs_a_finished_run(
    bundled: Bundled, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "later.zip"
    assert cli.main(["report", "bundle", str(bundled.report_dir), "-o", str(out)]) == ExitCode.CONFORMANT
    assert "not signed" in capsys.readouterr().out
    code, output = _verify(capsys, out)
    assert code == ExitCode.CONFORMANT, output
    assert {name for name in _members(out) if name != MANIFEST} == set(MEMBERS)


def test_show_unpacks_the_html_report(bundled: Bundled, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "show", str(bundled.zip), "--print-path"]) == ExitCode.CONFORMANT
    page = Path(capsys.readouterr().out.strip())
    assert page.name == "conformance.html" and page.read_bytes() == _members(bundled.zip)["conformance.html"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        pytest.param(b"not a zip at all", "is not a zip archive", id="not-a-zip"),
        pytest.param(None, "no such file", id="missing"),
        pytest.param({"readme.txt": b"hello"}, "is a zip but not a drs-conformance bundle", id="zip-not-bundle"),
        pytest.param(
            {MANIFEST: b'{"format": "other"}'}, "is not a drs-conformance bundle's manifest", id="foreign-manifest"
        ),
    ],
)
@pytest.mark.parametrize("action", [pytest.param(a, id=a) for a in ("verify", "show")])
def test_a_file_that_is_not_a_bundle_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | dict[str, bytes] | None, says: str, action: str
) -> None:
    path = tmp_path / "input.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, dict):
        _write_zip(path, content)
    extra = ["--print-path"] if action == "show" else []
    code = cli.main(["report", action, str(path), *extra])
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE, err
    assert len(err.strip().splitlines()) == 1 and says in err and "Traceback" not in err, err


def test_a_bad_key_file_is_one_error_line(bundled: Bundled, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.pub").write_text("not a key\n", encoding="utf-8")
    code = cli.main(["report", "verify", str(bundled.zip), "--public-key", str(tmp_path / "bad.pub")])
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE and "not a PEM public key" in err and len(err.strip().splitlines()) == 1, err


# No secret in any member: a target that echoes the credentials it received into its error bodies.


def _echo(header: str, seen: set[bytes]) -> Callable[[dict[str, str], UpstreamAnswer], bytes]:
    def transform(headers: dict[str, str], answer: UpstreamAnswer) -> bytes:
        value = headers.get(header, "")
        seen.update(_HEX64.findall(value.encode()))
        if answer.status < 400 or not value:
            return answer.body
        try:
            body = json.loads(answer.body)
        except ValueError:
            return answer.body + f" received {header}: {value}".encode()
        if not isinstance(body, dict):
            return answer.body
        body["error_msg"] = f"{body.get('error_msg', '')} (received {header}: {value})"
        return json.dumps(body).encode()

    return transform


@pytest.fixture
def echoing_target(
    sandbox_process: Callable, fault_proxy: Callable[..., FaultProxy]
) -> Callable[[str, set[bytes]], str]:
    """A sandbox behind a proxy that echoes one request header into every error body (and notes its signatures)."""

    def start(header: str, seen: set[bytes]) -> str:
        sandbox = sandbox_process("--token", f"{TOKEN}={DEFAULT_PROJECT}", "--ak", DEFAULT_AK, "--sk", DEFAULT_SK)
        return fault_proxy(sandbox.url, [rewrite(_echo(header, seen))]).url

    return start


@pytest.mark.parametrize(
    ("credentials", "header", "secrets"),
    [
        pytest.param(("--auth-token", TOKEN), "x-auth-token", (TOKEN,), id="token"),
        pytest.param(("--ak", DEFAULT_AK, "--sk", DEFAULT_SK), "authorization", (DEFAULT_AK, DEFAULT_SK), id="ak-sk"),
    ],
)
def test_no_secret_reaches_any_member(
    echoing_target: Callable[[str, set[bytes]], str],
    tmp_path: Path,
    credentials: tuple[str, ...],
    header: str,
    secrets: tuple[str, ...],
) -> None:
    seen: set[bytes] = set()
    url = echoing_target(header, seen)
    zip_path = tmp_path / "evidence.zip"
    run = _kit(
        tmp_path,
        "run",
        "--base-url",
        url,
        "--project-id",
        DEFAULT_PROJECT,
        *credentials,
        "--control-api",
        "--bundle",
        str(zip_path),
    )
    assert zip_path.is_file(), run.stdout[-2000:] + run.stderr
    members = _members(zip_path)
    echoed = [name for name, data in members.items() if f"received {header}:".encode() in data]
    assert any(name.startswith("exchanges/") for name in echoed), (
        f"no echoed credential reached the exchanges ({echoed}): the test would prove nothing"
    )
    for secret in secrets:
        leaked = [name for name, data in members.items() if secret.encode() in data]
        assert not leaked, f"a secret of --{credentials[0]} reached {leaked}"
    if header == "authorization":
        assert len(seen) >= 50, f"received {len(seen)} signatures: the run did not sign its requests"
        leaked = [name for name, data in members.items() if seen & set(_HEX64.findall(data))]
        assert not leaked, f"signatures reached {leaked}"
