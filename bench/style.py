"""Posts checked per second by the style gate, the median time per post, and what each rule costs.

The posts are the hand-labelled corpus of tests/style/corpus.yml (French, English, Polish and Swahili posts: live
football coverage, announcements, partnerships, executive messages, posts full of hashtags, emoji and links), each in
its own context (network, market languages, editorial policy), repeated to ``--posts`` posts. Every rule runs with
its default setting, language detection included (lingua's detector is built before the clock starts, as an app
does at start-up). One core, one process.

The cost of a rule is the median time of a pass with only that rule on, less a pass with every rule off; a rule
pays for what it is first to need (the language detection for lang.mismatch, the entities for the hashtag rule).

    .venv/bin/python bench/style.py [--posts 100000] [--rule-posts 20000] [--profile]

Target: the full default rule set under 1 ms per post (median) on one core.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from approval import style
from approval.style import language
from tests.style.corpus import CORPUS

TARGET_MS = 1.0


def workload(n: int) -> list[tuple[str, style.Context]]:
    posts = [(post.text, post.context) for post in CORPUS]
    return [posts[i % len(posts)] for i in range(n)]


def timed_pass(posts: list[tuple[str, style.Context]]) -> tuple[float, list[int]]:
    """Total seconds and each post's nanoseconds, each text checked as if seen for the first time (the detector
    keeps its answers for texts it has seen)."""
    check = style.check
    forget = language.forget_detections
    clock = time.perf_counter_ns
    times = []
    start = clock()
    for text, context in posts:
        forget()
        t0 = clock()
        check(text, context)
        times.append(clock() - t0)
    return (clock() - start) / 1e9, times


def only(rule_id: str | None, posts: list[tuple[str, style.Context]]) -> list[tuple[str, style.Context]]:
    """The same posts with every rule off but ``rule_id`` (None: all off)."""
    result = []
    for text, context in posts:
        settings = {r.id: "off" for r in style.RULES if r.id != rule_id}
        settings.update({k: v for k, v in context.rules.items() if k == rule_id})
        result.append((text, replace(context, rules=settings)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--rule-posts", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one pass over the corpus")
    args = parser.parse_args()

    t0 = time.perf_counter()
    language.preload()
    style.check("Warm-up: la Tour Eiffel brille ce soir 🇫🇷 https://helio.fr/euro.", style.Context(network="x"))
    print(f"start-up (language models, emoji table): {time.perf_counter() - t0:.2f} s")

    posts = workload(args.posts)
    total, times = timed_pass(posts)
    median_ms = statistics.median(times) / 1e6
    p95_ms = statistics.quantiles(times, n=20)[-1] / 1e6
    print(f"\nfull default rule set on {len(posts):,} posts ({len(CORPUS)} distinct, each in its context)")
    print(f"  {len(posts) / total:,.0f} posts/s   median {median_ms * 1000:.0f} µs   p95 {p95_ms * 1000:.0f} µs"
          f"   max {max(times) / 1e6:.2f} ms")
    verdict = "meets" if median_ms < TARGET_MS else "MISSES"
    print(f"  target: median under {TARGET_MS:.0f} ms per post: {verdict} it "
          f"({median_ms / TARGET_MS:.0%} of the budget)")

    sample = workload(args.rule_posts)
    _, base = timed_pass(only(None, sample))
    base_us = statistics.mean(base) / 1e3
    print(f"\ncost of each rule alone, mean µs per post over {len(sample):,} posts "
          f"(baseline, all off: {base_us:.1f} µs)")
    rows = []
    for rule in style.RULES:
        _, rule_times = timed_pass(only(rule.id, sample))
        rows.append((statistics.mean(rule_times) / 1e3 - base_us, rule.id))
    for cost, rule_id in sorted(rows, reverse=True):
        print(f"  {rule_id:26} {cost:8.1f} µs")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        timed_pass(workload(len(CORPUS) * 20))
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())


if __name__ == "__main__":
    main()
