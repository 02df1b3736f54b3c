"""``approval lint`` through click's CliRunner, on the command object itself."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from approval.style import Context, Policy, Term, cli
from approval.style.cli import lint_command


@pytest.fixture()
def run():
    runner = CliRunner()

    def invoke(*args: str, text: str | bytes = ""):
        return runner.invoke(lint_command, list(args), input=text)

    return invoke


@pytest.fixture()
def loader(monkeypatch: pytest.MonkeyPatch):
    def install(function):
        monkeypatch.setattr(cli, "market_policy_loader", function)

    monkeypatch.setattr(cli, "market_policy_loader", None)
    return install


def test_a_clean_text_exits_zero_and_prints_nothing(run):
    result = run(text="La Tour Eiffel brille ce soir.\n")
    assert (result.exit_code, result.output) == (0, "")


def test_an_error_exits_one_and_says_where(run):
    result = run(text="la Tour Eiffel brille ce soir\n")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "-:1:1: error house.capital-start A sentence starts with a capital letter. (suggestion: 'L')",
        "-:1:30: error house.full-stop-end A sentence ends with a full stop. (suggestion: '.')",
    ]


def test_warnings_alone_exit_zero(run):
    result = run("--lang", "fr", text="Bravo à tous !\n")
    assert result.exit_code == 0
    assert "warning typo.fr-spacing" in result.output


def test_json_is_the_contracts_shape(run):
    result = run("--network", "x", "--format", "json", text="hello world")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert list(data) == ["findings"]
    assert [(f["rule"], f["severity"], f["start"], f["end"]) for f in data["findings"]] == [
        ("house.capital-start", "error", 0, 1), ("house.full-stop-end", "error", 11, 11)]
    assert all({"rule", "severity", "message", "start", "end"} <= set(f) for f in data["findings"])


def test_the_network_counts_its_own_length(run):
    result = run("--network", "x", "--format", "json", text="Bravo. " + "日本" * 140 + "。")
    assert [f["rule"] for f in json.loads(result.output)["findings"]] == ["network.length"]
    assert result.exit_code == 1
    assert run("--network", "facebook", text="Bravo. " + "日本" * 140 + "。").exit_code == 0


def test_a_file_argument_and_its_line_numbers(run, tmp_path):
    path = tmp_path / "post.txt"
    path.write_text("La Tour Eiffel brille.\r\nmerci à tous.\n", encoding="utf-8")
    result = CliRunner().invoke(lint_command, [str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:2:1: error house.capital-start")


@pytest.mark.parametrize("args", [["--network", "myspace"], ["--format", "xml"], ["a", "b"], ["/no/such/file"]])
def test_bad_usage_exits_two(run, args):
    assert run(*args, text="Bonjour.").exit_code == 2


def test_text_that_is_not_utf8_is_bad_usage(run):
    result = run(text=b"caf\xe9 cr\xe8me.")
    assert result.exit_code == 2
    assert "UTF-8" in result.output


def test_market_without_a_database_exits_two_with_a_clear_message(run, loader):
    result = run("--market", "FR", text="Bonjour.")
    assert result.exit_code == 2
    assert "--market FR needs the market's policy from the database" in result.output


def test_market_when_the_database_is_unreachable(run, loader):
    def unreachable(code: str) -> Context:
        raise ConnectionError("connection refused on 127.0.0.1:5432")

    loader(unreachable)
    result = run("--market", "FR", text="Bonjour.")
    assert result.exit_code == 2
    assert "cannot load the policy of market FR: connection refused" in result.output


def test_an_unknown_market_exits_two(run, loader):
    loader(lambda code: None)
    result = run("--market", "ZZ", text="Bonjour.")
    assert (result.exit_code, "no market ZZ" in result.output) == (2, True)


def test_market_applies_its_policy_and_languages(run, loader):
    asked = []

    def load(code: str) -> Context:
        asked.append(code)
        return Context(market=code, languages=("fr",), policy=Policy(forbidden=(Term("gratuit", "Interdit."),)))

    loader(load)
    result = run("--market", "fr", "--format", "json", text="Le forfait est gratuit.")
    assert asked == ["FR"]
    assert [f["rule"] for f in json.loads(result.output)["findings"]] == ["policy.forbidden"]
    assert result.exit_code == 1
    result = run("--market", "FR", "--lang", "pl", "--format", "json",
                 text="Zapraszamy do strefy kibica Helio w sobotę od godziny osiemnastej.")
    assert json.loads(result.output)["findings"] == []
