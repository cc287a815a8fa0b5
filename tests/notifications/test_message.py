"""taskmanager.notifications.message.Message: what a transport receives, frozen."""

import dataclasses

import pytest

from taskmanager.notifications.message import Message
from taskmanager.results import Result


def test_the_level_is_a_result_also_when_given_as_its_name():
    message = Message(handler="chat", level="errors", parts={"txt": "hello"})
    assert message.level is Result.ERRORS
    assert message.level == "errors"


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="not a valid Result"):
        Message(handler="chat", level="loud", parts={})


def test_a_message_is_frozen_all_the_way_down():
    parts = {"txt": "hello"}
    message = Message(handler="chat", level=Result.OK, parts=parts)
    parts["txt"] = "changed"
    assert message.parts["txt"] == "hello"
    with pytest.raises(TypeError):
        message.parts["txt"] = "changed"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.level = Result.FAILED  # type: ignore[misc]


def test_replace_keeps_the_rest():
    message = Message(handler="chat", level="ok", parts={"txt": "a"}, test=True)
    other = dataclasses.replace(message, parts={"txt": "b"})
    assert (other.handler, other.level, other.parts["txt"], other.test) == ("chat", Result.OK, "b", True)
