"""LocmemTransport: the messages it keeps, and its one option."""

import pytest

from taskmanager.notifications.channels.locmem import LocmemTransport
from taskmanager.notifications.exceptions import NotificationConfigurationError


def test_parts_name_the_parts_it_asks_for():
    assert LocmemTransport(parts=["subject.txt", "txt"]).template_parts == ("subject.txt", "txt")
    assert LocmemTransport().template_parts == ("txt",)


@pytest.mark.parametrize("parts", ["txt", 3, ["txt", 3]])
def test_parts_that_are_not_a_list_of_names_are_a_configuration_error_with_a_hint(parts):
    # A string would otherwise be read letter by letter: the parts "t", "x" and "t".
    with pytest.raises(NotificationConfigurationError) as caught:
        LocmemTransport(parts=parts)
    assert caught.value.key == "parts"
    assert caught.value.hint
