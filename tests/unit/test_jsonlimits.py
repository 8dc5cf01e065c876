"""The nesting check that runs on every JSON body and frame before it is parsed."""

from __future__ import annotations

import json

import pytest

from disco.platform.jsonlimits import MAX_JSON_DEPTH, deeper_than


def lists(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [0, 1, MAX_JSON_DEPTH])
def test_up_to_the_limit_is_fine(depth: int) -> None:
    assert not deeper_than(lists(depth))
    assert not deeper_than(lists(depth).encode())


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000, 1_000_000])
def test_past_the_limit_is_caught(depth: int) -> None:
    assert deeper_than(lists(depth))
    assert deeper_than("[" * depth)  # unclosed: the parser never gets to say so


def test_objects_and_lists_count_alike() -> None:
    document = '{"a": [{"b": [{"c": 1}]}]}'
    assert not deeper_than(document, 5)
    assert deeper_than(document, 4)


def test_brackets_in_strings_do_not_count() -> None:
    text = "[{" * 100 + '\\"' + "]}" * 50
    document = json.dumps({"bio": text, "quote": 'a "quoted" [word]'})
    assert not deeper_than(document, 1)
    assert deeper_than(json.dumps([[text]]), 1)


def test_an_unterminated_string_ends_the_scan() -> None:
    assert not deeper_than('["' + "[" * 100, 2)
    assert not deeper_than('["\\"' + "[" * 100, 2)  # an escaped quote does not end it


def test_many_siblings_are_not_depth() -> None:
    assert not deeper_than(json.dumps([[1]] * 10_000))
    assert not deeper_than("]" * 10_000 + "[" * 5)  # stray closers never go below zero


def test_bytes_that_are_not_text_are_left_to_the_parser() -> None:
    assert not deeper_than(b"\xff\xfe[[\x00]]" * 20)
    assert deeper_than(b"\xff" + b"[" * 40)
