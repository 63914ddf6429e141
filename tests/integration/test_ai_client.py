"""The real `groq` SDK and our client against a local server speaking Groq's protocol:
retries, re-ask on invalid JSON, timeouts, the breaker, the token budget, streaming with
tool calls, and plain-words booking through the model (with personal data masked)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from pydantic import BaseModel

from logistics_ai.ai import booking, budget
from logistics_ai.ai.client import AIUnavailable, Turn, get_client
from tests.support import app_config
from tests.support.chat_server import ChatServer, Reply, as_json, running, text


class Answer(BaseModel):
    value: int


ASK = [{"role": "user", "content": "question"}]


@pytest.fixture
def chat(clean_db: None) -> Iterator[ChatServer]:
    with (
        running() as server,
        app_config.configured(
            groq_api_key="gsk_local_test",
            groq_base_url=server.base_url,
            ai_timeout_seconds="1",
            ai_max_retries="2",
            ai_breaker_failures="2",
        ),
    ):
        yield server


def test_invalid_json_is_re_asked_once_with_the_error(chat: ChatServer) -> None:
    chat.push(text("{not json"), as_json({"value": "seven"}), as_json({"value": 7}))
    with pytest.raises(AIUnavailable) as failed:
        asyncio.run(get_client().structured("test", ASK, Answer))
    assert failed.value.reason == "invalid_output" and len(chat.requests) == 2
    assert "not valid JSON" in chat.requests[1]["messages"][-1]["content"]
    value, tokens = asyncio.run(get_client().structured("test", ASK, Answer))
    assert value.value == 7 and tokens == 60
    assert chat.headers[-1]["authorization"] == "Bearer gsk_local_test"


def test_server_errors_are_retried_then_the_breaker_opens(chat: ChatServer) -> None:
    chat.push(Reply(status=503), Reply(status=500), as_json({"value": 1}))
    assert asyncio.run(get_client().structured("test", ASK, Answer))[0].value == 1
    assert len(chat.requests) == 3
    chat.push(*[Reply(status=500)] * 6)
    for _ in range(2):
        with pytest.raises(AIUnavailable):
            asyncio.run(get_client().structured("test", ASK, Answer))
    sent = len(chat.requests)
    assert get_client().unavailable_reason() == "breaker_open"
    with pytest.raises(AIUnavailable) as refused:
        asyncio.run(get_client().structured("test", ASK, Answer))
    assert refused.value.reason == "breaker_open" and len(chat.requests) == sent


def test_a_slow_model_times_out(chat: ChatServer) -> None:
    with app_config.configured(ai_max_retries="0"):
        chat.push(as_json({"value": 1}, delay_s=2.5))
        with pytest.raises(AIUnavailable) as failed:
            asyncio.run(get_client().structured("test", ASK, Answer))
    assert failed.value.reason == "timeout"


def test_the_daily_token_budget_stops_calls(chat: ChatServer) -> None:
    with app_config.configured(ai_daily_token_budget="100"):
        chat.push(as_json({"value": 1}, prompt_tokens=80, completion_tokens=30))
        asyncio.run(get_client().structured("test", ASK, Answer))
        assert budget.tokens_used_today() == 110
        with pytest.raises(AIUnavailable) as refused:
            asyncio.run(get_client().structured("test", ASK, Answer))
    assert refused.value.reason == "budget" and len(chat.requests) == 1


def test_streamed_text_and_tool_calls_are_assembled(chat: ChatServer) -> None:
    chat.push(Reply(content="Looking that up for you.", tool_calls=[("kpis", '{"day": "x"}')]))

    async def collect() -> list[str | Turn]:
        return [e async for e in get_client().stream_turn("test", ASK, [{"type": "function"}])]

    events = asyncio.run(collect())
    deltas, turn = events[:-1], events[-1]
    assert len(deltas) > 1 and "".join(map(str, deltas)) == "Looking that up for you."
    assert isinstance(turn, Turn) and turn.tool_calls[0].name == "kpis"
    assert json.loads(turn.tool_calls[0].arguments) == {"day": "x"}
    assert chat.requests[0]["stream"] is True and chat.requests[0]["tool_choice"] == "auto"


def test_a_stream_cut_mid_way_is_a_failure(chat: ChatServer) -> None:
    chat.push(Reply(content="x" * 200, cut_stream=True))

    async def collect() -> None:
        async for _ in get_client().stream_turn("test", ASK):
            pass

    with pytest.raises(AIUnavailable) as failed:
        asyncio.run(collect())
    assert failed.value.reason == "stream_broken"


def test_booking_through_the_model_masks_the_phone(chat: ChatServer) -> None:
    def model(request: dict) -> Reply:
        said = request["messages"][-1]["content"]
        placeholder = said[said.index("[PHONE_") : said.index("]", said.index("[PHONE_")) + 1]
        return as_json(
            {
                "pickup_address": "1200 N Clark St",
                "dropoff_address": "5300 S Lake Park Ave",
                "dropoff_window_start": "2026-03-03T14:00",
                "dropoff_window_end": "2026-03-03T16:00",
                "recipient_name": "Ana",
                "recipient_phone": placeholder,
                "weight_kg": 12,
                "required_skills": ["fragile"],
            }
        )

    chat.push(model)
    result = asyncio.run(
        booking.parse_order(
            "12 kg from 1200 N Clark St to 5300 S Lake Park Ave tomorrow 2-4pm, fragile, "
            "call Ana 312-555-0100",
            now=datetime(2026, 3, 2, 9, 0),
        )
    )
    assert result.source == "groq"
    assert "555-0100" not in chat.sent_text()
    assert result.draft["recipient_phone"] == "312-555-0100"
    assert result.draft["dropoff_window_start"] == "2026-03-03T14:00:00-06:00"
    assert result.draft["pickup_lat"] == pytest.approx(41.9037, abs=1e-3)
    assert {q.field for q in result.questions} == {"pickup_window_start", "volume_m3"}


def test_booking_falls_back_to_the_grammar_when_the_model_fails(chat: ChatServer) -> None:
    chat.push(text("I am not JSON"), text("still not JSON"))
    result = asyncio.run(
        booking.parse_order("deliver 5 kg to 1 N State St tomorrow 9-10am for Eve")
    )
    assert result.source == "offline" and result.fallback_reason == "invalid_output"
    assert result.draft["weight_kg"] == 5.0 and result.draft["recipient_name"] == "Eve"
