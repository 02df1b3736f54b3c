"""The labelled corpus (corpus.yml) and where the shared conformance data lives, read at test time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from approval.style import Context, Policy

HERE = Path(__file__).parent
REPO = HERE.parent.parent
SHARED = REPO.parent / "shared"
TWITTER_TEXT = SHARED / "conformance" / "twitter-text"


@dataclass(frozen=True)
class Expected:
    rule: str
    severity: str
    start: int
    end: int


@dataclass(frozen=True)
class Post:
    number: int
    text: str
    context_name: str
    context: Context
    lang: str | None
    expected: tuple[Expected, ...]

    @property
    def id(self) -> str:
        return f"{self.number:03d}-{self.context_name}-{self.text[:30]}"


def locate(text: str, mark: str) -> tuple[int, int]:
    """The span a mark points at: "[l]a Tour" -> the "l"; "soir[]" -> the empty span after "soir"; "media#2" -> the
    third attached file (a media finding points past the text: ``len(text) + index``)."""
    if mark.startswith("media#"):
        index = int(mark.removeprefix("media#"))
        return len(text) + index, len(text) + index + 1
    open_at = mark.index("[")
    close_at = mark.index("]", open_at)
    snippet = mark[:open_at] + mark[open_at + 1:close_at] + mark[close_at + 1:]
    where = text.find(snippet)
    assert where >= 0, f"mark {mark!r} is not in the text"
    assert text.find(snippet, where + 1) < 0, f"mark {mark!r} is not unique in the text"
    return where + open_at, where + close_at - 1


def context_from(data: dict[str, Any]) -> Context:
    from approval.style.media import MediaItem

    data = dict(data)
    policy = Policy.from_dict(data.pop("policy")) if "policy" in data else Policy()
    languages = tuple(data.pop("languages", ()))
    media = tuple(MediaItem(**item) for item in data.pop("media", ()))
    return Context(policy=policy, languages=languages, media=media, **data)


def load_corpus() -> list[Post]:
    data = yaml.safe_load((HERE / "corpus.yml").read_text(encoding="utf-8"))
    contexts = {name: context_from(value) for name, value in data["contexts"].items()}
    posts = []
    for number, entry in enumerate(data["posts"], 1):
        text = entry["text"]
        expected = []
        for line in entry.get("expect") or ():
            rule, severity, mark = line.split(" ", 2)
            expected.append(Expected(rule, severity, *locate(text, mark)))
        posts.append(Post(number, text, entry["context"], contexts[entry["context"]], entry.get("lang"),
                          tuple(expected)))
    return posts


CORPUS = load_corpus()
