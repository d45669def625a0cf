"""Templates translate through the page's catalogue, taken once per render: the same words,
plurals, escaping and fallbacks as Flask-Babel's own callables."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = (
    "{{ _('Service catalogue') }}|{{ ngettext('%(num)d error', '%(num)d errors', n) }}"
    "|{% trans who=who %}{{ who }}{% endtrans %}|{{ _('%(size)s KB', size=who) }}"
)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", "Catalogue de services|2 erreurs|&lt;b&gt;x&lt;/b&gt;|&lt;b&gt;x&lt;/b&gt; Ko"),
        ("en", "Service catalogue|2 errors|&lt;b&gt;x&lt;/b&gt;|&lt;b&gt;x&lt;/b&gt; KB"),
    ],
)
def test_words_plurals_and_escaped_values_in_each_language(app, locale, expected):
    with app.test_request_context("/"), force_locale(locale):
        assert render_template_string(TEMPLATE, n=2, who="<b>x</b>") == expected


def test_a_template_rendered_without_the_context_processors_still_translates(app):
    # What the last-resort error page does: straight from the Jinja environment.
    with app.test_request_context("/"), force_locale("fr"):
        page = app.jinja_env.from_string("{{ _('Service catalogue') }}").render()
    assert page == "Catalogue de services"


def test_the_catalogue_follows_a_language_forced_inside_the_request(app):
    with app.test_request_context("/"), force_locale("fr"):
        first = render_template_string("{{ _('Service catalogue') }}")
        with force_locale("en"):
            second = render_template_string("{{ _('Service catalogue') }}")
    assert (first, second) == ("Catalogue de services", "Service catalogue")


def test_the_template_gettext_formats_as_jinja_newstyle_does(app):
    # Always formatted, even without variables ("%%" is one percent sign); a value is escaped,
    # the message itself (from desk's catalogue) is not; a missing message is itself.
    template = "{{ _('100%% done') }}|{{ gettext('%(a)s & co', a=x) }}|{{ _('No such message') }}"
    with app.test_request_context("/"), force_locale("en"):
        page = render_template_string(template, x="<i>")
    assert page == "100% done|&lt;i&gt; & co|No such message"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "12\u202f345 évaluations|1 évaluation"), ("en", "12,345 ratings|1 rating")],
)
def test_a_count_in_a_sentence_is_grouped_as_its_language_writes_numbers(app, locale, expected):
    # The SLA report's and the privacy page's counts: "%(num)s" with the number filter, the
    # plural still chosen by the number itself.
    template = (
        "{% for n in (12345, 1) %}{% if not loop.first %}|{% endif %}"
        "{{ ngettext('%(num)s rating', '%(num)s ratings', n, num=n|number) }}{% endfor %}"
    )
    with app.test_request_context("/"), force_locale(locale):
        assert render_template_string(template) == expected


@pytest.mark.parametrize(
    ("locale", "expected"), [("fr", "14 décembre 2026"), ("en", "14 December 2026")]
)
def test_a_long_date_puts_the_day_first_in_both_languages(app, locale, expected):
    # CLDR's English "long" is the US "December 14, 2026"; desk's other dates are day first.
    with app.test_request_context("/"), force_locale(locale):
        assert render_template_string("{{ d|longdate }}", d=dt.date(2026, 12, 14)) == expected
        moment = dt.datetime(2026, 12, 14, 23, 30, tzinfo=dt.UTC)  # the 15th in Paris
        assert render_template_string("{{ d|longdate }}", d=moment) == expected.replace("14", "15")
