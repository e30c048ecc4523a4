"""Synth-time checks: concrete values are judged now, tokens at deploy time."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aws_cdk import Token


def concrete(value: str, check: Callable[[str, str], str | None], label: str) -> str | None:
    """Run ``check`` on ``value`` unless it is a token, which the handler checks."""
    return None if Token.is_unresolved(value) else check(value, label)


def concrete_items(mapping: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``mapping`` whose key and value are both known now."""
    return {
        key: value
        for key, value in mapping.items()
        if not Token.is_unresolved(key) and not Token.is_unresolved(value)
    }
