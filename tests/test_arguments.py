import pytest

from taskmanager.arguments import ArgumentsError, command_argv, split_arguments


def test_it_splits_2x_syntax_into_argv():
    assert split_arguments("-f, --second a b, --third=x") == ["-f", "--second", "a", "b", "--third=x"]


def test_it_keeps_a_quoted_parameter_together():
    assert split_arguments('--title "nightly import"') == ["--title", "nightly import"]


def test_empty_arguments_give_no_tokens():
    assert split_arguments("") == []
    assert split_arguments(None) == []
    assert split_arguments(" , ,") == []


def test_it_takes_disable_notifications_out_of_the_command_line():
    assert command_argv("--disable-notifications, -v 2") == (["-v", "2"], True)
    assert command_argv("-v 2") == (["-v", "2"], False)


def test_an_unbalanced_quote_is_a_clear_error():
    with pytest.raises(ArgumentsError, match="Cannot parse argument"):
        split_arguments('--title "open')


def test_changing_the_returned_tokens_does_not_change_the_next_split():
    first = split_arguments("-v 2, --since 2026-01-01")
    first.append("--oops")
    first[0] = "-q"

    assert split_arguments("-v 2, --since 2026-01-01") == ["-v", "2", "--since", "2026-01-01"]
