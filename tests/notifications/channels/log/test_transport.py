"""LogTransport: its one option, and the record it writes."""

import logging

import pytest

from taskmanager.notifications.channels.log.transport import LogTransport
from taskmanager.notifications.exceptions import NotificationConfigurationError
from taskmanager.notifications.message import Message


@pytest.mark.parametrize("logger", [123, ["myproject.alerts"], {"name": "x"}])
def test_a_logger_that_is_not_a_name_is_a_configuration_error_with_the_key_and_a_hint(logger):
    with pytest.raises(NotificationConfigurationError) as caught:
        LogTransport(logger=logger)
    assert caught.value.key == "logger"
    assert f"not {type(logger).__name__}" in caught.value.message
    assert "dotted name" in caught.value.hint


def test_the_message_is_logged_on_the_named_logger(caplog):
    message = Message(handler="log", level="errors", parts={"txt": "[errors] nightly import\n"})
    with caplog.at_level(logging.INFO, logger="myproject.alerts"):
        LogTransport(logger=" myproject.alerts ").send(message)
    [record] = caplog.records
    assert (record.name, record.levelno, record.getMessage()) == (
        "myproject.alerts",
        logging.ERROR,
        "[errors] nightly import",
    )
