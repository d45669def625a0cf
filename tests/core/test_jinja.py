"""Templates compiled per language with their messages folded in render what the calls did."""

from __future__ import annotations

import pytest
from flask import Blueprint, render_template
from flask_babel import force_locale

from desk.core.jinja import PageEnvironment

# Each line a case the folding must render exactly as the gettext call: a plain message, a
# percent sign, escaped values, a message as a value, a trans block with and without a
# variable, an unknown message, a plural (left a call) and a message inside an attribute.
PAGE = """\
{{ _('Service catalogue') }}
{{ _('100%% done') }}
{{ _('%(size)s KB', size=who) }}
{{ gettext('%(a)s & co', a=_('Service catalogue')) }}
{% trans %}Service catalogue{% endtrans %}
{% trans who=who %}{{ who }}{% endtrans %}
{{ _('No such message') }}
{{ ngettext('%(num)d error', '%(num)d errors', n) }}
<input placeholder="{{ _('Service catalogue') }}">
{% include "folding/part.html" %}
"""
PART = "{{ _('Service catalogue')|upper }}"
# Autoescape off (not .html): values are not escaped, in both forms.
TEXT = "{{ _('%(size)s KB', size=who) }} {{ _('Service catalogue') }}"


@pytest.fixture(scope="module")
def folding_app(app, tmp_path_factory):
    """The app with a blueprint of test templates, registered before any request."""
    folder = tmp_path_factory.mktemp("templates")
    (folder / "folding").mkdir()
    (folder / "folding" / "page.html").write_text(PAGE)
    (folder / "folding" / "part.html").write_text(PART)
    (folder / "folding" / "mail.txt").write_text(TEXT)
    from desk import create_app

    fresh = create_app(dict(app.config))
    fresh.register_blueprint(Blueprint("folding", __name__, template_folder=str(folder)))
    return fresh


def _rendered(app, locale: str, name: str, *, folded: bool) -> str:
    with app.test_request_context("/"), force_locale(locale):
        if folded:
            return render_template(name, who="<b>x</b>", n=2)
        # the same source under the same name, compiled by the app's own environment, which
        # folds nothing (only its languages' overlays do)
        env = app.jinja_env
        source = env.loader.get_source(env, name)[0]
        code = env.compile(source, name)
        template = env.template_class.from_code(env, code, env.make_globals(None))
        return template.render(who="<b>x</b>", n=2)


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("name", ["folding/page.html", "folding/mail.txt"])
def test_folded_templates_render_what_the_calls_rendered(folding_app, locale, name):
    folded = _rendered(folding_app, locale, name, folded=True)
    if name.endswith(".html"):  # the include is loaded by name in both forms: fold it alike
        assert folded.endswith("CATALOGUE DE SERVICES" if locale == "fr" else "SERVICE CATALOGUE")
    assert folded == _rendered(folding_app, locale, name, folded=False)


def test_each_language_gets_its_own_compiled_template(folding_app):
    def first_line(locale: str) -> str:
        return _rendered(folding_app, locale, "folding/page.html", folded=True).splitlines()[0]

    # alternately, in one process: a template compiled in one language is never served in the other
    assert [first_line(x) for x in ("fr", "en", "fr", "en")] == [
        "Catalogue de services",
        "Service catalogue",
    ] * 2


def test_values_stay_escaped_and_the_messages_are_in_the_code(folding_app):
    page = _rendered(folding_app, "en", "folding/page.html", folded=True).splitlines()
    assert page[1] == "100% done"
    assert page[2] == "&lt;b&gt;x&lt;/b&gt; KB"
    assert page[3] == "Service catalogue & co"
    assert page[5] == "&lt;b&gt;x&lt;/b&gt;"
    assert page[7] == "2 errors"
    with folding_app.test_request_context("/"), force_locale("fr"):
        env = folding_app.jinja_env._language_overlay()
        assert isinstance(env, PageEnvironment) and env is not folding_app.jinja_env
        code = env.compile(PAGE, name="folding/page.html", raw=True)
    # translated at compile time: no call left for the literal messages, the plural still one
    assert "Catalogue de services" in code and "%(size)s Ko" in code
    assert "'Service catalogue'" not in code and "'%(num)d error'" in code


def test_strings_compiled_outside_a_request_and_e_mail_environments_are_not_folded(folding_app):
    env = folding_app.jinja_env
    with folding_app.app_context():
        assert env._language_overlay() is env  # no request: no language to compile for
    with folding_app.test_request_context("/"), force_locale("fr"):
        code = env.compile("{{ _('Service catalogue') }}", raw=True)  # from a string
        mail = env.overlay(cache_size=10)
        mail.globals = {"_": lambda s: s, "gettext": lambda s: s}
        assert mail._language_overlay() is mail
    assert "'Service catalogue'" in code
