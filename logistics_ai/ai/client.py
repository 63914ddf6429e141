"""A thin, guarded layer over the official `groq` SDK (AsyncGroq).

Everything that can go wrong with a remote model is handled here once: no key, an open
circuit breaker or a spent token budget answer `AIUnavailable` before any call; failed
attempts are retried with jittered exponential backoff; structured answers are validated
with Pydantic and re-asked once with the validation error; calls, tokens, latency and
failures are counted in Prometheus. Callers catch `AIUnavailable` and take their offline path.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import groq
from pydantic import BaseModel, ValidationError

from logistics_ai.ai import budget
from logistics_ai.ai.breaker import CircuitBreaker
from logistics_ai.ai.metrics import CALLS, FAILURES, LATENCY, TOKENS
from logistics_ai.settings import Settings, get_settings

T = TypeVar("T", bound=BaseModel)
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 3.0


class AIUnavailable(Exception):
    """No model answer: `reason` says why (no_key, breaker_open, budget, timeout, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text from the model: untrusted, validated by the tool


@dataclass
class Turn:
    """One model turn: text and/or tool calls, with the tokens it cost."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tokens: int = 0


def backoff_s(attempt: int) -> float:
    """Full-jitter exponential backoff: spreads retries of many clients apart."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


def _reason(error: Exception) -> tuple[str, bool]:
    """(metric reason, worth retrying) for an SDK error."""
    if isinstance(error, groq.APITimeoutError):
        return "timeout", True
    if isinstance(error, groq.APIConnectionError):
        return "connection", True
    if isinstance(error, groq.RateLimitError):
        return "rate_limited", True
    if isinstance(error, groq.APIStatusError):
        return f"http_{error.status_code}", error.status_code >= 500
    return type(error).__name__, False


class AIClient:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.breaker = CircuitBreaker(
            settings.ai_breaker_failures, settings.ai_breaker_reset_seconds
        )
        # AsyncGroq holds an httpx pool bound to the event loop that first used it.
        self._sdk_by_loop: weakref.WeakKeyDictionary[Any, groq.AsyncGroq] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def configured(self) -> bool:
        return bool(self.settings.groq_api_key)

    def unavailable_reason(self) -> str | None:
        """Why no call would go out right now (cheap checks only; the token budget lives in
        the shared store and is checked just before each call), or None when one may."""
        if not self.configured:
            return "no_key"
        if self.breaker.state == "open":
            return "breaker_open"
        return None

    def _sdk(self) -> groq.AsyncGroq:
        loop = asyncio.get_running_loop()
        sdk = self._sdk_by_loop.get(loop)
        if sdk is None:
            sdk = groq.AsyncGroq(
                api_key=self.settings.groq_api_key,
                base_url=self.settings.groq_base_url,
                timeout=self.settings.ai_timeout_seconds,
                max_retries=0,  # retries, backoff and the breaker are ours
            )
            self._sdk_by_loop[loop] = sdk
        return sdk

    async def _create(self, task: str, **kwargs: Any) -> Any:
        reason = self.unavailable_reason()
        if reason:
            CALLS.labels(task, reason).inc()
            raise AIUnavailable(reason)
        if await asyncio.to_thread(budget.budget_left) <= 0:  # the store may be Redis
            CALLS.labels(task, "budget").inc()
            raise AIUnavailable("budget")
        if not self.breaker.allow():
            CALLS.labels(task, "breaker_open").inc()
            raise AIUnavailable("breaker_open")
        attempts = self.settings.ai_max_retries + 1
        for attempt in range(attempts):
            started = time.perf_counter()
            try:
                result = await self._sdk().chat.completions.create(
                    model=self.settings.groq_model,
                    max_tokens=self.settings.ai_max_output_tokens,
                    temperature=0,
                    **kwargs,
                )
            except groq.GroqError as error:
                reason, retry = _reason(error)
                FAILURES.labels(task, reason).inc()
                if retry and attempt + 1 < attempts:
                    await asyncio.sleep(backoff_s(attempt))
                    continue
                self.breaker.failure()
                CALLS.labels(task, "failed").inc()
                raise AIUnavailable(reason) from error
            finally:
                LATENCY.labels(task).observe(time.perf_counter() - started)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _account(self, task: str, prompt: int, completion: int) -> int:
        TOKENS.labels(task, "prompt").inc(prompt)
        TOKENS.labels(task, "completion").inc(completion)
        await asyncio.to_thread(budget.spend, prompt + completion)
        return prompt + completion

    async def structured(
        self, task: str, messages: list[dict[str, Any]], schema: type[T]
    ) -> tuple[T, int]:
        """A JSON answer validated by `schema`; one re-ask with the error if it does not fit."""
        history = list(messages)
        tokens = 0
        for attempt in range(2):
            completion = await self._create(
                task, messages=history, response_format={"type": "json_object"}
            )
            usage = completion.usage
            if usage is not None:
                tokens += await self._account(task, usage.prompt_tokens, usage.completion_tokens)
            content = completion.choices[0].message.content or ""
            try:
                value = schema.model_validate(json.loads(content))
            except (json.JSONDecodeError, ValidationError) as error:
                FAILURES.labels(task, "invalid_output").inc()
                problem = str(error)[:600]
                history += [
                    {"role": "assistant", "content": content[:2000]},
                    {
                        "role": "user",
                        "content": "That answer was not valid JSON for the schema: "
                        f"{problem}. Reply again with only the corrected JSON object.",
                    },
                ]
                if attempt == 0:
                    continue
                self.breaker.failure()
                CALLS.labels(task, "invalid_output").inc()
                raise AIUnavailable("invalid_output") from error
            self.breaker.success()
            CALLS.labels(task, "ok").inc()
            return value, tokens
        raise AssertionError("unreachable")  # pragma: no cover

    async def stream_turn(
        self,
        task: str,
        messages: list[dict[str, Any]],
        tools: Sequence[dict[str, Any]] = (),
    ) -> AsyncIterator[str | Turn]:
        """Stream one model turn: text deltas as they come, then the whole `Turn`."""
        kwargs: dict[str, Any] = {"messages": messages, "stream": True}
        if tools:
            kwargs |= {"tools": list(tools), "tool_choice": "auto"}
        stream = await self._create(task, **kwargs)
        turn = Turn()
        calls: dict[int, dict[str, str]] = {}
        prompt = completion = 0
        finished = False
        try:
            async for chunk in stream:
                usage = getattr(getattr(chunk, "x_groq", None), "usage", None) or getattr(
                    chunk, "usage", None
                )
                if usage is not None:
                    prompt, completion = usage.prompt_tokens, usage.completion_tokens
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                finished = finished or chunk.choices[0].finish_reason is not None
                if delta.content:
                    turn.text += delta.content
                    yield delta.content
                for call in delta.tool_calls or []:
                    slot = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    if call.id:
                        slot["id"] = call.id
                    if call.function is not None:
                        slot["name"] += call.function.name or ""
                        slot["arguments"] += call.function.arguments or ""
            if not finished:
                raise ConnectionError("the stream ended without a finish reason")
        except Exception as error:  # a stream cut mid-way: transport errors are not typed
            FAILURES.labels(task, "stream_broken").inc()
            self.breaker.failure()
            CALLS.labels(task, "failed").inc()
            raise AIUnavailable("stream_broken") from error
        if not prompt and not completion:  # a server that reports no usage: estimate it
            prompt = sum(len(str(m.get("content") or "")) for m in messages) // 4
            completion = len(turn.text) // 4
        turn.tokens = await self._account(task, prompt, completion)
        turn.tool_calls = [
            ToolCall(slot["id"] or f"call_{index}", slot["name"], slot["arguments"] or "{}")
            for index, slot in sorted(calls.items())
        ]
        self.breaker.success()
        CALLS.labels(task, "ok").inc()
        yield turn


_client: AIClient | None = None


def get_client() -> AIClient:
    """The process's client (and breaker); rebuilt when the settings are reloaded."""
    global _client
    settings = get_settings()
    if _client is None or _client.settings is not settings:
        _client = AIClient(settings)
    return _client
