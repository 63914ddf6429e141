"""`bench realtime`'s arithmetic: match what the simulator posted to what each dashboard showed.

Pure functions over plain data, so they are tested on hand-written inputs
(tests/unit/test_realtime_measure.py). Times are wall-clock milliseconds.

- A *post* is one accepted write, stamped when its HTTP answer returned: a driver's position
  (the `f"{lat:.5f},{lon:.5f}"` the dashboard contract shows), a driver's status, or a
  shipment's status after a stop event.
- An *observation* is one change of that value in one page's DOM (MutationObserver).
- Per page and subject, each observation is matched to the oldest not-yet-shown post with the
  same value. Latency = first observation - post return (negative when the push beat the
  HTTP answer to the client). A post never shown is *lost* (*superseded* when a newer value
  of the same subject was shown instead, e.g. pushes coalesced); an observation of a value older
  than one already shown is *out of order* (a position going back, a status going back).
- A post whose value equals what the page already showed (a van standing at a stop) cannot
  change the DOM: it is *unobservable* and counted apart.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

KINDS = {"p": "positions", "d": "driver statuses", "s": "shipment statuses"}
# What a stop event leaves the shipment at (an arrival changes the stop, not the shipment).
SHIPMENT_STATUS_AFTER = {"picked_up": "picked_up", "delivered": "delivered", "failed": "failed"}


@dataclass(frozen=True)
class Post:
    kind: str  # "p", "d" or "s"
    subject: str  # driver or shipment id, as the DOM spells it
    value: str
    t_ms: float


@dataclass(frozen=True)
class Observation:
    kind: str
    subject: str
    value: str
    t_ms: float


@dataclass
class KindTally:
    posted: int = 0  # observable posts of subjects on screen, summed over pages
    shown: int = 0
    lost: int = 0
    superseded: int = 0  # of the lost: a newer value of the same subject was shown instead
    out_of_order: int = 0
    unobservable: int = 0  # the value did not change (nothing for the DOM to show)
    off_screen: int = 0  # the subject is not on that page (e.g. a shipment on page 2)
    # The page whose socket was cut: posted before the cut, not shown by then, and after the
    # reconnect the page showed a value posted after the cut (not lost: overtaken by the cut).
    cut_off: int = 0


@dataclass
class PageResult:
    latencies_ms: list[float] = field(default_factory=list)
    kinds: dict[str, KindTally] = field(default_factory=lambda: defaultdict(KindTally))


def position_value(lat: float, lon: float) -> str:
    return f"{lat:.5f},{lon:.5f}"


def posts_from_records(records: Iterable[dict]) -> list[Post]:
    """The simulator's `--record` lines (seconds) as posts (milliseconds), in time order."""
    posts = []
    for r in records:
        t = float(r["t"]) * 1000.0
        if r["kind"] == "position":
            posts.append(Post("p", str(r["driver_id"]), position_value(r["lat"], r["lon"]), t))
        elif r["kind"] == "driver_status":
            posts.append(Post("d", str(r["driver_id"]), r["status"], t))
        elif r["kind"] == "stop_event" and r["event"] in SHIPMENT_STATUS_AFTER:
            status = SHIPMENT_STATUS_AFTER[r["event"]]
            posts.append(Post("s", str(r["shipment_id"]), status, t))
    return sorted(posts, key=lambda p: p.t_ms)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct % of values <= it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def match_page(
    posts: Sequence[Post],
    observations: Sequence[Observation],
    baseline: dict[str, dict[str, str]],
    *,
    kinds: Iterable[str] = ("p", "d", "s"),
    ignore_after_ms: float | None = None,
) -> PageResult:
    """Latency, loss and order for one page.

    `baseline` is what the page showed when recording began ({kind: {subject: value}}): only
    subjects in it are on screen. Posts returned after `ignore_after_ms` are left out (the page
    whose socket the bench cut on purpose).
    """
    result = PageResult()
    wanted = set(kinds)
    by_subject: dict[tuple[str, str], list[Post]] = defaultdict(list)
    after_cut: dict[tuple[str, str], set[str]] = defaultdict(set)
    for post in posts:
        if post.kind not in wanted:
            continue
        if ignore_after_ms is None or post.t_ms <= ignore_after_ms:
            by_subject[(post.kind, post.subject)].append(post)
        else:
            after_cut[(post.kind, post.subject)].add(post.value)
    seen: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for obs in sorted(observations, key=lambda o: o.t_ms):
        seen[(obs.kind, obs.subject)].append(obs)
    for (kind, subject), subject_posts in by_subject.items():
        tally = result.kinds[kind]
        shown_at_start = baseline.get(kind, {}).get(subject)
        if shown_at_start is None:
            tally.off_screen += len(subject_posts)
            continue
        # Only changes can appear in the DOM: drop repeats of the value already on show.
        expected: list[Post] = []
        previous = shown_at_start
        for post in subject_posts:
            if post.value == previous:
                tally.unobservable += 1
            else:
                expected.append(post)
                previous = post.value
        first_seen: dict[int, float] = {}
        late: set[int] = set()
        newest = -1
        for obs in seen.get((kind, subject), []):
            candidates = [i for i, p in enumerate(expected) if p.value == obs.value]
            if not candidates:
                continue  # e.g. the value on screen before recording, shown again
            ahead = [i for i in candidates if i > newest]
            if ahead:
                newest = ahead[0]
                first_seen.setdefault(newest, obs.t_ms)
            elif newest not in candidates:
                tally.out_of_order += 1
                late.update(i for i in candidates if i not in first_seen)
        tally.posted += len(expected)
        for i, post in enumerate(expected):
            if i in first_seen:
                tally.shown += 1
                result.latencies_ms.append(first_seen[i] - post.t_ms)
            elif i in late:
                tally.shown += 1  # shown, but after a newer value: counted as out of order
            elif any(o.value in after_cut[(kind, subject)] for o in seen.get((kind, subject), [])):
                tally.cut_off += 1
            else:
                tally.lost += 1
                tally.superseded += i < newest
    return result


@dataclass
class Summary:
    samples: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    kinds: dict[str, KindTally]

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.kinds.values())

    @property
    def out_of_order(self) -> int:
        return sum(t.out_of_order for t in self.kinds.values())


def summarize(pages: Sequence[PageResult]) -> Summary:
    latencies = [x for page in pages for x in page.latencies_ms]
    kinds: dict[str, KindTally] = {k: KindTally() for k in KINDS}
    for page in pages:
        for kind, tally in page.kinds.items():
            total = kinds[kind]
            for name in vars(total):
                setattr(total, name, getattr(total, name) + getattr(tally, name))
    return Summary(
        samples=len(latencies),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies) if latencies else None,
        kinds=kinds,
    )


def push_to_dom(sent: Sequence[Observation], shown: Sequence[Observation]) -> list[float]:
    """For one page: each value it showed, from when the server built the push carrying it
    (`sent`, the server's clock) to its first appearance in the DOM (`shown`, corrected to the
    bench's clock: one machine, one clock). Paired by (kind, subject, value), first of each.

    This part of POST -> DOM does not depend on when the client that posted got round to
    reading its answer: a saturated generator stamps its answers late, which shortens POST ->
    DOM (even below zero) without the page being any faster."""
    built: dict[tuple[str, str, str], float] = {}
    for o in sent:
        key = (o.kind, o.subject, o.value)
        built[key] = min(o.t_ms, built.get(key, math.inf))
    first: dict[tuple[str, str, str], float] = {}
    for o in shown:
        key = (o.kind, o.subject, o.value)
        first[key] = min(o.t_ms, first.get(key, math.inf))
    return [t - built[key] for key, t in first.items() if key in built]


def profile_shares(profile: dict, top: int = 8) -> dict[str, list[tuple[str, float]]]:
    """Where a page's main thread spent a Chromium CPU profile (`Profiler.stop`'s
    `profile`): self time as shares of the profile's time, by script (the bundle a function
    came from, or Chromium's own "(program)", "(garbage collector)", "(idle)") and by
    function. Each sample stands for the time until the next one, as DevTools counts it: a
    renderer starved of CPU is sampled far less often than its interval, so counting samples
    would weigh its idle moments over its busy ones. A production build is minified: a
    function is named by its file, line and column in the served bundle (look it up there),
    its minified name standing beside them."""
    nodes = {node["id"]: node for node in profile.get("nodes", [])}
    samples = profile.get("samples", [])
    deltas = profile.get("timeDeltas", [])
    # Sample i lasts until sample i + 1; the last one's length is unknown and left out.
    weights = [*deltas[1:], 0] if samples and len(deltas) == len(samples) else [1] * len(samples)
    by_script: dict[str, float] = defaultdict(float)
    by_function: dict[str, float] = defaultdict(float)
    total = 0.0
    for node_id, weight in zip(samples, weights, strict=True):
        if weight <= 0 or node_id not in nodes:
            continue
        frame = nodes[node_id]["callFrame"]
        name = frame.get("functionName") or "(anonymous)"
        url = frame.get("url", "")
        script = url.rsplit("/", 1)[-1].split("?", 1)[0] or name
        where = f"{script}:{frame.get('lineNumber', -1) + 1}:{frame.get('columnNumber', -1) + 1}"
        by_script[script] += weight
        by_function[f"{name} {where}" if url else name] += weight
        total += weight

    def ranked(counts: dict[str, float]) -> list[tuple[str, float]]:
        best = sorted(counts.items(), key=lambda item: -item[1])[:top]
        return [(key, value / total) for key, value in best]

    if not total:
        return {"scripts": [], "functions": []}
    return {"scripts": ranked(by_script), "functions": ranked(by_function)}


def trace_self_times(
    events: list[dict], top: int = 12, pid: int | None = None
) -> list[tuple[str, float]]:
    """Where a renderer's main thread spent a Chromium trace (`Tracing.dataCollected`'s
    events, "devtools.timeline" categories): milliseconds of self time by event name (Paint,
    Layout, UpdateLayoutTree, FunctionCall, ...), the `top` largest, largest first. A CPU
    profile shows Chromium's own work as one "(program)"; the trace names it. Only complete
    events ("X", `dur` in µs) of the thread named CrRendererMain count; an event's self time is
    its duration less its direct children's, children being the events that start and end
    inside it on the same thread. A trace holds every renderer of the browser: `pid` keeps one
    (the page's, see `trace_renderer_pid`)."""
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e.get("args", {}).get("name") == "CrRendererMain"
        and (pid is None or e["pid"] == pid)
    }
    spans = sorted(
        (
            (e["ts"], -e["dur"], e["pid"], e["tid"], e["name"])
            for e in events
            if e.get("ph") == "X" and "dur" in e and (e.get("pid"), e.get("tid")) in mains
        ),
    )
    self_us: dict[str, float] = defaultdict(float)
    open_spans: dict[tuple[int, int], list[list]] = defaultdict(list)  # [end, name, self]
    for ts, neg_dur, pid, tid, name in spans:
        stack = open_spans[(pid, tid)]
        while stack and stack[-1][0] <= ts:
            _end, done, own = stack.pop()
            self_us[done] += own
        if stack:
            stack[-1][2] -= -neg_dur  # the parent's self time loses this child's
        stack.append([ts - neg_dur, name, -neg_dur])
    for stack in open_spans.values():
        for _end, done, own in stack:
            self_us[done] += own
    best = sorted(self_us.items(), key=lambda item: -item[1])[:top]
    return [(name, us / 1000) for name, us in best]


def trace_renderer_pid(events: list[dict], frame_id: str) -> int | None:
    """The renderer process that drew the frame `frame_id` (CDP's `Page.getFrameTree` id), as
    the trace's TracingStartedInBrowser event lists it; None when it is not listed."""
    for e in events:
        if e.get("name") == "TracingStartedInBrowser":
            for frame in e.get("args", {}).get("data", {}).get("frames", []):
                if frame.get("frame") == frame_id and "processId" in frame:
                    return int(frame["processId"])
    return None
