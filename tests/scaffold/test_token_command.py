"""``mkservice token``: a bearer token the local stack's services accept (signed with the
workspace's development key, the one ``mkservice up`` serves the JWKS of); bad options are exit
2 with one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from chassis.auth.keys import IssuerKeys
from chassis.auth.verifier import TokenVerifier
from scaffold_support import ROOT, mkservice

from mkservice.stack.dev_issuer import KEY_FILE, workspace_issuer


def _verifier(data_dir: Path, audience: str = "mkservice") -> TokenVerifier:
    """What a service of `mkservice up` checks tokens with: the workspace issuer's JWKS."""
    issuer = workspace_issuer(data_dir)
    jwks = issuer.write_jwks(data_dir / "jwks.json")
    return TokenVerifier(issuer=issuer.issuer, audience=audience,
                         keys=IssuerKeys(jwks.as_uri(), refresh_s=60))  # fmt: skip


async def test_prints_only_a_token_that_the_stacks_services_accept(tmp_path: Path) -> None:
    env = {"MKSERVICE_DATA_DIR": str(tmp_path)}
    completed = mkservice(ROOT, "token", "--customer", "c-42", "--scope", "admin",
                          "--scope", "metrics", env=env)  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    token = completed.stdout.strip()
    assert "\n" not in token and completed.stderr == ""
    principal = await _verifier(tmp_path).verify(token)
    assert principal.subject == "c-42"
    assert principal.scopes == {"admin", "metrics"}
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600


async def test_the_same_key_signs_from_one_run_to_the_next(tmp_path: Path) -> None:
    env = {"MKSERVICE_DATA_DIR": str(tmp_path)}
    first = mkservice(ROOT, "token", "--customer", "c-1", env=env).stdout.strip()
    second = mkservice(ROOT, "token", "--customer", "c-2", env=env).stdout.strip()
    verifier = _verifier(tmp_path)

    assert (await verifier.verify(first)).subject == "c-1"
    assert (await verifier.verify(second)).scopes == frozenset()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--customer", ""], "--customer takes an id"),
        (["--customer", "two words"], "--customer takes an id"),
        (["--customer", "c-1", "--scope", 'ad"min'], "is not a scope"),
        (["--customer", "c-1", "--expires-in", "0"], "--expires-in takes"),
        (["--customer", "c-1", "--audience", " "], "--audience cannot be blank"),
    ],
    ids=["empty", "spaces", "bad-scope", "no-lifetime", "blank-audience"],
)
def test_a_bad_option_is_exit_2_with_one_sentence_and_no_key_made(
    tmp_path: Path, args: list[str], words: str
) -> None:
    completed = mkservice(ROOT, "token", *args, env={"MKSERVICE_DATA_DIR": str(tmp_path)})

    assert completed.returncode == 2
    message = completed.stderr.strip()
    assert words in message and "\n" not in message and message.endswith(".")
    assert completed.stdout == ""
    assert not (tmp_path / KEY_FILE).exists()
