"""Names the pages show for values (product kinds, capture states, months,
relative times) in the request's language, and the texts site.js needs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date, get_day_names

from zenith_web.i18n import N_, _, current_locale, ngettext

KIND_LABELS = {
    "keogram": N_("Keogram"), "startrails": N_("Startrails"), "timelapse": N_("Timelapse"),
    "mini-timelapse": N_("Mini timelapse"), "monthly-keogram": N_("Monthly keogram"),
    "monthly-timelapse": N_("Monthly timelapse"), "yearly-timelapse": N_("Yearly timelapse"),
}
STATE_LABELS = {
    "running": N_("Running"), "stopped": N_("Stopped"), "starting": N_("Starting"),
    "paused": N_("Paused"), "error": N_("Error"), "day": N_("day"), "night": N_("night"),
}

MESSAGES = (N_("Wrong username or password."),)
"""Texts views pass to templates untranslated (``{{ _(error) }}`` translates them)."""


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind.replace("-", " ").capitalize()


def state_label(state: str) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def month_title(day: date) -> str:
    """``November 2026`` / ``November 2026`` / ``März 2026``."""
    return format_date(day, "LLLL y", locale=current_locale())


def weekday_names() -> list[str]:
    """Monday first, abbreviated, in the request's language."""
    names = get_day_names("abbreviated", locale=current_locale())
    return [str(names[i]).rstrip(".") for i in range(7)]


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """``5 minutes ago``: what a visitor reads beside a time."""
    if when is None:
        return _("never")
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds >= 86400:
        n = int(seconds // 86400)
        return ngettext("%(num)d day ago", "%(num)d days ago", n) % {"num": n}
    if seconds >= 3600:
        n = int(seconds // 3600)
        return ngettext("%(num)d hour ago", "%(num)d hours ago", n) % {"num": n}
    if seconds >= 60:
        n = int(seconds // 60)
        return ngettext("%(num)d minute ago", "%(num)d minutes ago", n) % {"num": n}
    return _("just now")


def js_texts() -> dict[str, str]:
    """What the pages' scripts write, translated (``%(num)d``-style placeholders)."""
    texts = {"just_now": _("just now"), "taken": _("Taken %(time)s"),
             "copied": _("Link copied."), "copy_by_hand": _("Select the link and copy it."),
             "online": _("online"), "offline": _("offline"), "speed": _("Speed %(rate)s×"),
             "frame_at": _("Frame at %(time)s"),
             "n_of_m": _("%(index)d of %(total)d")}
    for n, form in ((1, "one"), (2, "other")):
        texts[f"minute_{form}"] = ngettext("%(num)d minute ago", "%(num)d minutes ago", n)
        texts[f"hour_{form}"] = ngettext("%(num)d hour ago", "%(num)d hours ago", n)
        texts[f"day_{form}"] = ngettext("%(num)d day ago", "%(num)d days ago", n)
    return texts
