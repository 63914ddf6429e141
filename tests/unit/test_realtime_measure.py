"""`bench realtime`'s arithmetic on hand-written runs (expected values worked out by hand)."""

from __future__ import annotations

from loadtests.realtime_measure import (
    Observation,
    Post,
    match_page,
    percentile,
    posts_from_records,
    profile_shares,
    push_to_dom,
    summarize,
    trace_renderer_pid,
    trace_self_times,
)


def test_nearest_rank_percentiles() -> None:
    values = [40.0, 10.0, 30.0, 20.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert percentile(values, 50) == 50.0  # rank ceil(5.0) = 5 of 10..100
    assert percentile(values, 95) == 100.0  # rank ceil(9.5) = 10
    assert percentile(values, 90) == 90.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 95) is None


def test_simulator_records_become_posts_in_dashboard_spelling() -> None:
    records = [
        {"kind": "stop_event", "event": "arrived", "shipment_id": 9, "driver_id": 3, "t": 2.0},
        {"kind": "position", "driver_id": 3, "lat": 41.8812345, "lon": -87.6, "t": 1.5},
        {"kind": "stop_event", "event": "picked_up", "shipment_id": 9, "driver_id": 3, "t": 3.0},
        {"kind": "driver_status", "driver_id": 3, "status": "on_route", "t": 1.0},
    ]
    assert posts_from_records(records) == [
        Post("d", "3", "on_route", 1000.0),
        Post("p", "3", "41.88123,-87.60000", 1500.0),
        Post("s", "9", "picked_up", 3000.0),  # an arrival changes no shipment status
    ]


def test_latency_loss_and_order_for_one_page() -> None:
    posts = [
        Post("p", "1", "A", 1000.0),
        Post("p", "1", "B", 3000.0),
        Post("p", "1", "B", 5000.0),  # standing still: nothing new to show
        Post("p", "1", "C", 7000.0),
        Post("p", "1", "D", 9000.0),
        Post("p", "2", "X", 1000.0),  # driver 2 is not on this page
        Post("s", "5", "picked_up", 2000.0),
        Post("s", "5", "delivered", 4000.0),
    ]
    observations = [
        Observation("p", "1", "A", 1040.0),
        Observation("p", "1", "B", 2990.0),  # the push beat the HTTP answer by 10 ms
        Observation("p", "1", "D", 9100.0),  # C never shown ...
        Observation("p", "1", "C", 9200.0),  # ... until after D: out of order
        Observation("s", "5", "delivered", 4050.0),
        Observation("s", "5", "picked_up", 4060.0),  # status going back
    ]
    baseline = {"p": {"1": "START"}, "s": {"5": "assigned"}}
    page = match_page(posts, observations, baseline)
    assert sorted(page.latencies_ms) == [-10.0, 40.0, 50.0, 100.0]
    positions, shipments = page.kinds["p"], page.kinds["s"]
    assert (positions.posted, positions.shown, positions.lost) == (4, 4, 0)
    assert (positions.out_of_order, positions.unobservable, positions.off_screen) == (1, 1, 1)
    assert (shipments.posted, shipments.shown, shipments.lost, shipments.out_of_order) == (
        2,
        2,
        0,
        1,
    )


def test_never_shown_is_lost_and_the_cut_page_ignores_later_posts() -> None:
    posts = [
        Post("d", "7", "on_route", 1000.0),
        Post("p", "7", "A", 1500.0),
        Post("p", "7", "B", 3500.0),
        Post("p", "7", "C", 5500.0),
    ]
    observations = [Observation("p", "7", "A", 1530.0)]
    baseline = {"p": {"7": "START"}, "d": {"7": "available"}}
    page = match_page(posts, observations, baseline)
    assert page.latencies_ms == [30.0]
    assert (page.kinds["p"].lost, page.kinds["d"].lost) == (2, 1)
    assert page.kinds["p"].superseded == 0  # B and C: nothing newer was ever shown
    coalesced = match_page(posts, [Observation("p", "7", "C", 5600.0)], baseline)
    assert coalesced.latencies_ms == [100.0]
    assert (coalesced.kinds["p"].lost, coalesced.kinds["p"].superseded) == (2, 2)
    cut = match_page(posts, observations, baseline, ignore_after_ms=2000.0)
    assert (cut.kinds["p"].posted, cut.kinds["p"].lost, cut.kinds["d"].lost) == (1, 0, 1)
    # Cut at 4000: B (3500) never reached the page before the cut; after the reconnect the page
    # shows C, posted after the cut. B was overtaken by the cut, not lost; A was shown.
    reconnected = [Observation("p", "7", "A", 1530.0), Observation("p", "7", "C", 9000.0)]
    cut_late = match_page(posts, reconnected, baseline, ignore_after_ms=4000.0)
    assert (cut_late.kinds["p"].posted, cut_late.kinds["p"].lost) == (2, 0)
    assert cut_late.kinds["p"].cut_off == 1
    # Without a reconnect showing a later value, B is lost as before.
    no_reconnect = match_page(posts, observations, baseline, ignore_after_ms=4000.0)
    assert (no_reconnect.kinds["p"].lost, no_reconnect.kinds["p"].cut_off) == (1, 0)
    positions_only = match_page(posts, observations, baseline, kinds=("p",))
    assert "d" not in positions_only.kinds


def test_summary_adds_pages_up() -> None:
    posts = [Post("p", "1", "A", 0.0), Post("p", "1", "B", 2000.0)]
    fast = match_page(
        posts,
        [Observation("p", "1", "A", 20.0), Observation("p", "1", "B", 2030.0)],
        {"p": {"1": "S"}},
    )
    slow = match_page(posts, [Observation("p", "1", "B", 2400.0)], {"p": {"1": "S"}})
    summary = summarize([fast, slow])
    assert summary.samples == 3
    assert (summary.p50_ms, summary.p95_ms, summary.max_ms) == (30.0, 400.0, 400.0)
    assert (summary.lost, summary.out_of_order) == (1, 0)
    assert summary.kinds["p"].posted == 4


def test_profile_shares_weigh_each_sample_by_the_time_until_the_next() -> None:
    def node(node_id: int, name: str, url: str, line: int) -> dict:
        frame = {"functionName": name, "url": url, "lineNumber": line, "columnNumber": 4}
        return {"id": node_id, "callFrame": frame}

    react = "http://x/_next/static/chunks/react-dom.abc.js?v=1"
    leaflet = "http://x/_next/static/chunks/leaflet.js"
    profile = {
        "nodes": [
            node(1, "(root)", "", -1),
            node(2, "(idle)", "", -1),
            node(3, "commitRoot", react, 99),
            node(4, "setLatLng", leaflet, 9),
            node(5, "", leaflet, 20),
        ],
        # Ten idle samples 1 ms apart, then a starved, busy stretch sampled rarely:
        # commitRoot for 30 ms, setLatLng for 15 ms, the anonymous function for 5 ms.
        "samples": [2] * 10 + [3, 4, 5, 2],
        "timeDeltas": [0] + [1] * 10 + [30, 15, 5],
    }
    # Per script: idle 10 of 60 ms, react-dom 30, leaflet 15 + 5.
    shares = profile_shares(profile, top=3)
    assert shares["scripts"] == [
        ("react-dom.abc.js", 0.5),
        ("leaflet.js", 20 / 60),
        ("(idle)", 10 / 60),
    ]
    assert shares["functions"] == [
        ("commitRoot react-dom.abc.js:100:5", 0.5),
        ("setLatLng leaflet.js:10:5", 0.25),
        ("(idle)", 10 / 60),
    ]
    assert profile_shares({"nodes": profile["nodes"], "samples": [], "timeDeltas": []}) == {
        "scripts": [],
        "functions": [],
    }


def test_push_to_dom_pairs_each_shown_value_with_the_push_that_carried_it() -> None:
    sent = [
        Observation("p", "7", "41.00000,-87.00000", 1000.0),
        Observation("p", "7", "41.00100,-87.00000", 3000.0),
        Observation("p", "7", "41.00100,-87.00000", 3500.0),  # pushed again: the first counts
        Observation("p", "8", "42.00000,-88.00000", 1000.0),  # never shown: no pair
    ]
    shown = [
        Observation("p", "7", "41.00000,-87.00000", 1012.5),
        Observation("p", "7", "41.00100,-87.00000", 3040.0),
        Observation("p", "9", "43.00000,-89.00000", 5000.0),  # no push seen for it: no pair
    ]
    assert sorted(push_to_dom(sent, shown)) == [12.5, 40.0]
    assert push_to_dom([], shown) == []


def test_trace_self_times_subtract_children_on_the_renderers_main_thread_only() -> None:
    def span(name: str, ts: int, dur: int, tid: int = 1, pid: int = 7) -> dict:
        return {"ph": "X", "name": name, "ts": ts, "dur": dur, "pid": pid, "tid": tid}

    events = [
        {"ph": "M", "name": "thread_name", "pid": 7, "tid": 1, "args": {"name": "CrRendererMain"}},
        {"ph": "M", "name": "thread_name", "pid": 7, "tid": 2, "args": {"name": "Compositor"}},
        # RunTask 0-10 ms holding FunctionCall 1-5 ms (holding Layout 2-3 ms) and Paint 6-9 ms.
        span("RunTask", 0, 10_000),
        span("FunctionCall", 1_000, 4_000),
        span("Layout", 2_000, 1_000),
        span("Paint", 6_000, 3_000),
        # A second task after the first: not a child of it.
        span("RunTask", 20_000, 2_000),
        span("Paint", 20_500, 500),
        # Another thread, and an instant event: not counted.
        span("Paint", 0, 50_000, tid=2),
        {"ph": "I", "name": "Paint", "ts": 1, "pid": 7, "tid": 1},
    ]
    # RunTask: 10 - 4 - 3 = 3 ms, then 2 - 0.5 = 1.5 ms; FunctionCall 4 - 1 = 3 ms;
    # Paint 3 + 0.5 ms; Layout 1 ms.
    assert trace_self_times(events) == [
        ("RunTask", 4.5),
        ("Paint", 3.5),
        ("FunctionCall", 3.0),
        ("Layout", 1.0),
    ]
    assert trace_self_times(events, top=1) == [("RunTask", 4.5)]
    # Only the renderer process asked for: pid 8's main thread is left out, pid 7's kept.
    other = [
        {"ph": "M", "name": "thread_name", "pid": 8, "tid": 1, "args": {"name": "CrRendererMain"}},
        span("Paint", 0, 9_000, pid=8),
    ]
    assert trace_self_times(events + other, top=2, pid=7) == [("RunTask", 4.5), ("Paint", 3.5)]
    assert trace_self_times(events + other, top=1, pid=8) == [("Paint", 9.0)]


def test_the_renderer_of_a_frame_comes_from_the_tracing_start_event() -> None:
    started = {
        "name": "TracingStartedInBrowser",
        "ph": "I",
        "args": {
            "data": {
                "frames": [
                    {"frame": "A1", "url": "http://x/", "processId": 41},
                    {"frame": "B2", "url": "http://x/", "processId": 42},
                ]
            }
        },
    }
    assert trace_renderer_pid([{"name": "Paint"}, started], "B2") == 42
    assert trace_renderer_pid([started], "C3") is None
