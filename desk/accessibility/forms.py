"""The admins' form for the accessibility statement."""

from __future__ import annotations

from wtforms import DateField, EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from desk.accessibility.models import Conformance
from desk.core.forms import DeskForm, Email, WholeNumberField
from desk.core.i18n import lazy_gettext as _l


def _clean(value):
    """Trim, drop control characters other than line breaks (PostgreSQL refuses NUL)."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if ch.isprintable() or ch == "\n").strip()


LONG = [Optional(), Length(max=20_000, message=_l("20,000 characters at most."))]
SHORT = [Length(max=200, message=_l("200 characters at most."))]
DATE = {
    "format": ["%Y-%m-%d", "%d/%m/%Y"],
    "invalid_value_message": _l("Enter a date, for example 30/11/2026."),
}


# The legend of each French + English pair on the edit page.
PARTS = {
    "service_name": _l("Name of the service"),
    "entity": _l("Organisation"),
    "results": _l("Results of the audit"),
    "audit_method": _l("How the audit was made"),
    "non_compliant": _l("Criteria not met, and why"),
    "derogations": _l("Exemptions for disproportionate burden"),
    "exempt": _l("Content not subject to the obligation"),
    "technologies": _l("Technologies relied upon"),
    "environment": _l("Test environment"),
    "feedback": _l("Feedback and contact"),
    "recourse": _l("Remedies"),
}


def _text(label, *, required: bool = False, short: bool = False, lang: str = "fr"):
    # The text is in the language of the field, whatever the page's (RGAA 8.7).
    render_kw = {"lang": lang}
    if short:
        validators = [InputRequired(_l("This field is required."))] if required else [Optional()]
        return StringField(
            label, filters=[_clean], validators=validators + SHORT, render_kw=render_kw
        )
    render_kw["rows"] = 4
    return TextAreaField(label, filters=[_clean], validators=LONG, render_kw=render_kw)


class StatementForm(DeskForm):
    """Every part of the déclaration d'accessibilité, in French (required) and English."""

    status = RadioField(
        _l("Conformance status"),
        choices=[
            SelectChoice(Conformance.FULL.value, _l("Fully compliant")),
            SelectChoice(Conformance.PARTIAL.value, _l("Partially compliant")),
            SelectChoice(Conformance.NONE.value, _l("Not compliant")),
        ],
        # The list check is ours, for a message in the user's language.
        validate_choice=False,
        validators=[
            InputRequired(_l("Choose a conformance status.")),
            AnyOf([c.value for c in Conformance], message=_l("Choose a conformance status.")),
        ],
    )
    compliance_rate = WholeNumberField(
        _l("Share of the RGAA criteria met (%)"),
        invalid_value_message=_l("Enter a number from 0 to 100."),
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message=_l("Enter a number from 0 to 100.")),
        ],
    )
    audit_date = DateField(_l("Date of the audit"), validators=[Optional()], **DATE)
    statement_date = DateField(_l("Date of the statement"), validators=[Optional()], **DATE)
    contact_email = EmailField(
        _l("Contact e-mail address"),
        filters=[_clean],
        validators=[
            Optional(),
            Email(_l("Enter a valid e-mail address.")),
            Length(max=254, message=_l("254 characters at most.")),
        ],
    )
    service_name_fr = _text(_l("Name of the service (French)"), required=True, short=True)
    service_name_en = _text(_l("Name of the service (English)"), short=True, lang="en")
    entity_fr = _text(_l("Organisation (French)"), required=True, short=True)
    entity_en = _text(_l("Organisation (English)"), short=True, lang="en")
    results_fr = _text(_l("Results of the audit (French)"))
    results_en = _text(_l("Results of the audit (English)"), lang="en")
    audit_method_fr = _text(_l("How the audit was made (French)"))
    audit_method_en = _text(_l("How the audit was made (English)"), lang="en")
    non_compliant_fr = _text(_l("Criteria not met, and why (French; one per line)"))
    non_compliant_en = _text(_l("Criteria not met, and why (English; one per line)"), lang="en")
    derogations_fr = _text(_l("Exemptions for disproportionate burden (French; one per line)"))
    derogations_en = _text(
        _l("Exemptions for disproportionate burden (English; one per line)"), lang="en"
    )
    exempt_fr = _text(_l("Content not subject to the obligation (French; one per line)"))
    exempt_en = _text(
        _l("Content not subject to the obligation (English; one per line)"), lang="en"
    )
    technologies_fr = _text(_l("Technologies relied upon (French)"))
    technologies_en = _text(_l("Technologies relied upon (English)"), lang="en")
    environment_fr = _text(_l("Test environment: browsers and assistive technologies (French)"))
    environment_en = _text(
        _l("Test environment: browsers and assistive technologies (English)"), lang="en"
    )
    feedback_fr = _text(_l("Feedback and contact (French)"))
    feedback_en = _text(_l("Feedback and contact (English)"), lang="en")
    recourse_fr = _text(_l("Remedies (French)"))
    recourse_en = _text(_l("Remedies (English)"), lang="en")

    def values(self) -> dict:
        """The submitted values, keyed by column."""
        values = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        values["status"] = Conformance(values["status"])
        for name in ("contact_email",):
            values[name] = values[name] or ""
        return {
            k: ("" if v is None and k.endswith(("_fr", "_en")) else v) for k, v in values.items()
        }
