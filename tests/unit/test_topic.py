"""AMQP topic matching, checked against a plain dynamic-programming reading of the rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disco.platform.bus import topic_matches


def reference(pattern: str, routing_key: str) -> bool:
    """``matched[i][j]``: the first ``i`` pattern words match the first ``j`` key words."""
    p = pattern.split(".") if pattern else []
    w = routing_key.split(".") if routing_key else []
    matched = [[False] * (len(w) + 1) for _ in range(len(p) + 1)]
    matched[0][0] = True
    for i in range(1, len(p) + 1):
        for j in range(len(w) + 1):
            if p[i - 1] == "#":
                matched[i][j] = matched[i - 1][j] or (j > 0 and matched[i][j - 1])
            else:
                matched[i][j] = j > 0 and matched[i - 1][j - 1] and p[i - 1] in ("*", w[j - 1])
    return matched[len(p)][len(w)]


key_words = st.lists(st.sampled_from(["a", "b", "user", ""]), max_size=6)
pattern_words = st.lists(st.sampled_from(["a", "b", "user", "*", "#", ""]), max_size=6)


@given(pattern_words, key_words)
def test_agrees_with_the_reference(pattern: list[str], key: list[str]) -> None:
    p, k = ".".join(pattern), ".".join(key)
    assert topic_matches(p, k) == reference(p, k)


@given(key_words)
def test_a_key_matches_itself_and_hash(key: list[str]) -> None:
    k = ".".join(key)
    assert topic_matches(k, k)
    assert topic_matches("#", k)


# From the RabbitMQ "Topics" tutorial: Q1 binds *.orange.*, Q2 binds *.*.rabbit and lazy.#.
Q1 = ["*.orange.*"]
Q2 = ["*.*.rabbit", "lazy.#"]


@pytest.mark.parametrize(
    ("routing_key", "to_q1", "to_q2"),
    [
        ("quick.orange.rabbit", True, True),
        ("lazy.orange.elephant", True, True),
        ("quick.orange.fox", True, False),
        ("lazy.brown.fox", False, True),
        ("lazy.pink.rabbit", False, True),
        ("quick.brown.fox", False, False),
        ("orange", False, False),
        ("quick.orange.new.rabbit", False, False),
        ("lazy.orange.new.rabbit", False, True),
        ("lazy", False, True),
    ],
)
def test_rabbitmq_tutorial_examples(routing_key: str, to_q1: bool, to_q2: bool) -> None:
    assert any(topic_matches(p, routing_key) for p in Q1) == to_q1
    assert any(topic_matches(p, routing_key) for p in Q2) == to_q2


@pytest.mark.parametrize(
    ("pattern", "routing_key", "expected"),
    [
        ("#", "", True),
        ("*", "", False),
        ("#", "auth.user.registered", True),
        ("auth.#", "auth", True),
        ("auth.#", "authx.user", False),
        ("auth.*", "auth.user.registered", False),
        ("auth.*.registered", "auth.user.registered", True),
        ("#.registered", "auth.user.registered", True),
        ("a.#.b.#.c", "a.b.c", True),
        ("a.#.b.#.c", "a.x.c", False),
        ("*.#", "", False),
    ],
)
def test_edge_cases(pattern: str, routing_key: str, expected: bool) -> None:
    assert topic_matches(pattern, routing_key) is expected
