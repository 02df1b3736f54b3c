"""``approval lint``: checks a text as the style gate would.

    approval lint [--network NET] [--market CODE] [--lang L] [--media FILE [--alt TEXT]]...
                  [--format text|json] [FILE|-]

``--media`` reads each file as an upload is read (its real type, size, dimensions, duration) and runs the network's
media rules on them; their findings point past the text (``approval.style.media``: ``start = len(text) + index``).

Exit status: 0 when no finding is an error, 1 when one is, 2 for bad usage. House and network rules need no
database; ``--market`` asks ``market_policy_loader`` (set by the application, which owns the database) for the
market's context and fails with status 2 when there is no loader or it cannot answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import IO, Any, NoReturn

import click

from approval.style import Context, Finding, Severity, check, language
from approval.style.media import media_index
from approval.style.network import LIMITS

#: Set by the application: market code -> the market's context (policy, rules, languages), None if unknown.
#: It may raise when the database cannot be reached.
market_policy_loader: Callable[[str], Context | None] | None = None


class _LintCommand(click.Command):
    """``lint``, whose usage errors (a file that is not there, a value an option refuses) are also an ``{"error":
    ...}`` object on standard output under ``--format json``, as its own failures are (``_fail``): a program reading
    JSON gets JSON whatever went wrong. Click still says it on standard error, and the status is still 2."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        in_json = _asks_json(args)  # read first: parsing consumes ``args``
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            if in_json:
                _echo_error(error.format_message())
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            if ctx.params.get("output") == "json":
                _echo_error(error.format_message())
            raise


def _asks_json(args: list[str]) -> bool:
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--format=json" or arg == "--format" and args[index + 1:index + 2] == ["json"]:
            return True
    return False


def _echo_error(message: str) -> None:
    click.echo(json.dumps({"error": message}, ensure_ascii=False))


@click.command("lint", cls=_LintCommand)
@click.option("--network", type=click.Choice(sorted(LIMITS)), help="The network the text is for.")
@click.option("--market", metavar="CODE", help="Also apply this market's editorial policy (needs the database).")
@click.option("--lang", "languages", multiple=True, metavar="L",
              help="A language the text may be written in (ISO 639-1); repeat for several.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--media", "media", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, readable=True),
              help="A picture or video the post carries, in order; repeat for several (the network's media rules).")
@click.option("--alt", "alts", multiple=True, metavar="TEXT",
              help="The alternative text of the --media file in the same position; repeat for each.")
@click.argument("source", type=click.File("rb"), default="-", metavar="[FILE|-]")
def lint_command(network: str | None, market: str | None, languages: tuple[str, ...], output: str,
                 media: tuple[str, ...], alts: tuple[str, ...], source: IO[bytes]) -> None:
    """Check a text (a file, or standard input) as the style gate would."""
    try:
        text = source.read().decode("utf-8")  # offsets index into the text as given, as the API's
    except UnicodeDecodeError as error:
        raise click.UsageError(f"the text is not UTF-8 ({error.reason} at byte {error.start})") from None
    if unknown := [code for code in languages if not language.known(code)]:
        raise click.BadParameter(f"not a language code the detector knows: {', '.join(map(repr, unknown))} "
                                 "(ISO 639-1, e.g. fr)", param_hint="--lang")
    context = Context(network=network, languages=tuple(code.lower() for code in languages))
    if market:
        context = _market_context(market.upper(), context)
    if media:
        context = replace(context, media=_media_items(media, alts), has_media=True)
    findings = check(text, context)
    if output == "json":
        click.echo(json.dumps({"findings": [f.as_dict() for f in findings]}, ensure_ascii=False))
    else:
        name = getattr(source, "name", "-")
        name = "-" if name in ("-", "<stdin>") or not isinstance(name, str) else name
        for finding in findings:
            click.echo(_line(name, text, finding))
    click.get_current_context().exit(1 if any(f.severity == Severity.error for f in findings) else 0)


def _market_context(code: str, given: Context) -> Context:
    if market_policy_loader is None:
        _fail(f"--market {code} needs the market's policy from the database, which this command cannot reach here.")
    try:
        loaded = market_policy_loader(code)
    except Exception as error:  # noqa: BLE001 - whatever the database says, the answer is "cannot check the market"
        _fail(f"cannot load the policy of market {code}: {error}")
    if loaded is None:
        _fail(f"no market {code}.")
    return replace(loaded, market=code, network=given.network or loaded.network,
                   languages=given.languages or loaded.languages)


def _media_items(paths: tuple[str, ...], alts: tuple[str, ...]) -> tuple:
    """Each file read as an upload is (Pillow, FFmpeg), with its alternative text; a file a post would refuse
    ends the command with status 2."""
    from pathlib import Path

    from approval.media.inspect import MediaRefused, inspect
    from approval.style.media import MediaItem

    items = []
    for index, name in enumerate(paths):
        path = Path(name)
        try:
            found = inspect(path)
        except MediaRefused as refused:
            _fail(f"{name}: {refused.message}")
        items.append(MediaItem(kind=found.kind, mime=found.mime, bytes=path.stat().st_size, width=found.width,
                               height=found.height, duration_s=found.duration_s, codec=found.codec,
                               frame_rate=found.frame_rate, frames=found.frames,
                               alt=alts[index] if index < len(alts) else "", has_location=found.has_location,
                               name=path.name))
    return tuple(items)


def _fail(message: str) -> NoReturn:
    """Exit 2 with ``message``: on standard error, and as ``{"error": ...}`` on standard output when the caller reads
    JSON there."""
    context = click.get_current_context()
    if context.params.get("output") == "json":
        _echo_error(message)
    click.echo(f"approval lint: {message}", err=True)
    context.exit(2)


def _line(name: str, text: str, finding: Finding) -> str:
    if (index := media_index(finding.start, finding.end, text)) is not None:
        return f"{name}:media {index + 1}: {finding.severity.value} {finding.rule} {finding.message}"
    line = text.count("\n", 0, finding.start) + 1
    column = finding.start - (text.rfind("\n", 0, finding.start) + 1) + 1
    suggestion = f" (suggestion: {finding.suggestion!r})" if finding.suggestion is not None else ""
    return f"{name}:{line}:{column}: {finding.severity.value} {finding.rule} {finding.message}{suggestion}"
