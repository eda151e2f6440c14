"""Fault rules posted to ``/__emulator/faults``: data, matched by method and path regex."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "rate_limit", "timeout", "drop", "commit_then_drop")


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultRule:
    id: int
    kind: str
    method: str | None
    path: str | None
    status: int | None
    body: Any
    headers: dict[str, str]
    delay_seconds: float
    count: int | None
    probability: float
    seed: int | None
    pattern: re.Pattern[str] | None = None
    remaining: int | None = None
    applied: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "delay_seconds": self.delay_seconds,
            "count": self.count,
            "remaining": self.remaining,
            "probability": self.probability,
            "seed": self.seed,
            "applied": self.applied,
        }


class FaultRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._seq = 0

    def add(self, spec: dict[str, Any]) -> FaultRule:
        if not isinstance(spec, dict):
            raise FaultSpecError("body must be a JSON object")
        unknown = set(spec) - {
            "method", "path", "kind", "status", "body", "headers", "delay_seconds", "count",
            "probability", "seed",
        }  # fmt: skip
        if unknown:
            raise FaultSpecError(f"unknown fields: {', '.join(sorted(unknown))}")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}")
        status = spec.get("status")
        if kind == "status":
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise FaultSpecError("status faults need an integer 'status' (100-599)")
        elif status is not None:
            raise FaultSpecError("'status' only applies to kind=status")
        path = spec.get("path")
        pattern = None
        if path is not None:
            try:
                pattern = re.compile(path)
            except re.error as exc:
                raise FaultSpecError(f"path is not a valid regex: {exc}") from exc
        method = spec.get("method")
        if method is not None and not isinstance(method, str):
            raise FaultSpecError("method must be a string")
        count = spec.get("count", 1)
        if count is not None and (not isinstance(count, int) or count < 1):
            raise FaultSpecError("count must be a positive integer or null (unlimited)")
        probability = spec.get("probability", 1.0)
        if not isinstance(probability, int | float) or not 0 <= probability <= 1:
            raise FaultSpecError("probability must be between 0 and 1")
        delay = spec.get("delay_seconds", 5.0 if kind == "timeout" else 0.0)
        if not isinstance(delay, int | float) or delay < 0:
            raise FaultSpecError("delay_seconds must be a non-negative number")
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict):
            raise FaultSpecError("headers must be an object")
        seed = spec.get("seed")
        with self._lock:
            self._seq += 1
            rule = FaultRule(
                id=self._seq,
                kind=kind,
                method=method.upper() if method else None,
                path=path,
                status=status,
                body=spec.get("body"),
                headers={str(k): str(v) for k, v in headers.items()},
                delay_seconds=float(delay),
                count=count,
                probability=float(probability),
                seed=seed,
                pattern=pattern,
                remaining=count,
                rng=random.Random(seed),
            )
            self._rules.append(rule)
            return rule

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.public() for r in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def match(self, method: str, path: str) -> FaultRule | None:
        """The first live rule matching this request (consumes one of its ``count``)."""
        with self._lock:
            for rule in self._rules:
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.method and rule.method != method:
                    continue
                if rule.pattern is not None and not rule.pattern.search(path):
                    continue
                if rule.probability < 1.0 and rule.rng.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.applied += 1
                return rule
            return None
