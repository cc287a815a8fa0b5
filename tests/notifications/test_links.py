import types
from collections.abc import Iterator

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path, re_path, register_converter, reverse, set_script_prefix, set_urlconf
from django.utils import translation

from taskmanager.notifications.links import STAND_IN, Paths

ADMIN_PAGE = "admin:taskmanager_report_change"


def report_path(name: str, pk: int | None) -> str | None:
    """The path as a context made now would link it."""
    return Paths().of(name, pk)


def urlconf(*patterns: object) -> types.ModuleType:
    module = types.ModuleType("a_urlconf")
    module.urlpatterns = list(patterns)  # type: ignore[attr-defined]
    return module


@pytest.fixture
def use_urlconf() -> Iterator[object]:
    """Route this thread's reversals through a URLconf of the test's own (as a request can)."""
    yield set_urlconf
    set_urlconf(None)


@pytest.mark.parametrize("pk", [1, 42, 1234567, STAND_IN + 1])
def test_a_reports_paths_are_what_reverse_gives(pk):
    assert (
        report_path(ADMIN_PAGE, pk)
        == reverse(ADMIN_PAGE, args=(pk,))
        == f"/admin/taskmanager/report/{pk}/change/"
    )
    assert (
        report_path("log_viewer", pk) == reverse("log_viewer", args=(pk,)) == f"/taskmanager/logviewer/{pk}/"
    )


def test_no_id_no_path():
    assert report_path("log_viewer", None) is None


def test_the_script_prefix_of_the_moment_is_in_the_path():
    assert report_path("log_viewer", 7) == "/taskmanager/logviewer/7/"
    set_script_prefix("/tools/")
    try:
        assert report_path("log_viewer", 7) == "/tools/taskmanager/logviewer/7/"
    finally:
        set_script_prefix("/")
    assert report_path("log_viewer", 8) == "/taskmanager/logviewer/8/"


def test_a_threads_own_urlconf_routes_its_paths_and_without_the_urls_there_is_none(use_urlconf):
    use_urlconf(urlconf(path("ops/", include("taskmanager.urls"))))
    assert report_path("log_viewer", 7) == "/ops/logviewer/7/"
    assert report_path(ADMIN_PAGE, 7) is None

    use_urlconf(urlconf(path("backoffice/", admin.site.urls)))
    assert report_path(ADMIN_PAGE, 7) == "/backoffice/taskmanager/report/7/change/"
    assert report_path("log_viewer", 7) is None


def test_a_new_root_urlconf_is_followed(settings):
    assert report_path("log_viewer", 7) == "/taskmanager/logviewer/7/"
    settings.ROOT_URLCONF = urlconf(path("elsewhere/", include("taskmanager.urls")))
    assert report_path("log_viewer", 7) == "/elsewhere/logviewer/7/"


def test_a_pattern_the_stand_in_does_not_fit_is_reversed_for_each_id(use_urlconf):
    view = lambda request, pk: HttpResponse()  # noqa: E731
    use_urlconf(urlconf(re_path(r"^logs/(?P<pk>[0-9]{1,6})/$", view, name="log_viewer")))
    assert report_path("log_viewer", 7) == "/logs/7/"
    assert report_path("log_viewer", 123456) == "/logs/123456/"
    assert report_path("log_viewer", 1234567) is None


def test_a_pattern_that_takes_the_stand_in_but_not_a_short_id_is_reversed_for_each_id(use_urlconf):
    view = lambda request, pk: HttpResponse()  # noqa: E731
    use_urlconf(urlconf(re_path(r"^logs/(?P<pk>[0-9]{10,})/$", view, name="log_viewer")))
    assert report_path("log_viewer", 1234567890) == "/logs/1234567890/"
    assert report_path("log_viewer", 7) is None


class PaddedId:
    """A converter that writes ids zero-padded: an id's digits are not the path's."""

    regex = "[0-9]{8,}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:08d}"


register_converter(PaddedId, "padded_id")  # once: Django refuses a name registered again


def test_a_converter_that_writes_the_id_its_own_way_is_reversed_for_each_id(use_urlconf):
    view = lambda request, pk: HttpResponse()  # noqa: E731
    use_urlconf(urlconf(path("logs/<padded_id:pk>/", view, name="log_viewer")))
    assert report_path("log_viewer", 7) == reverse("log_viewer", args=(7,)) == "/logs/00000007/"
    assert report_path("log_viewer", 123456789) == "/logs/123456789/"


def test_the_active_language_prefixes_the_path_under_i18n_patterns(settings, use_urlconf):
    settings.LANGUAGES = [("en", "English"), ("it", "Italiano")]
    use_urlconf(urlconf(*i18n_patterns(path("taskmanager/", include("taskmanager.urls")))))
    with translation.override("it"):
        assert report_path("log_viewer", 7) == "/it/taskmanager/logviewer/7/"
    with translation.override("en"):
        assert report_path("log_viewer", 7) == "/en/taskmanager/logviewer/7/"
