"""Change the password: current, new, confirm.

The rule is NIST SP 800-63B's: at least :data:`MIN_LENGTH` characters, any
characters, no composition rules, and not a known or guessable password (a
deny list of common passwords, the username, the site's name, one repeated
character or a simple sequence). The current password is checked by a
login (so the failed-login limit applies); ``users.passwd`` then ends every
session of the user, and this browser gets a new one by a login with the
new password: every other session ends, this one goes on.

A user with a one-time password (issued by an administrator or a join
approval) is sent here by every other page until the change: the page says
why, and the change (``users.passwd`` without ``password_change_required``)
clears the flag in auth.
"""

from __future__ import annotations

from aiohttp import web

from zenith.contracts import auth
from zenith.errors import TooManyRequests, Unauthorized
from zenith_web import keys, passwordgate, session
from zenith_web.i18n import _
from zenith_web.views.owner import owner_page, see_other, username
from zenith_web.views.sitebus import ask

MIN_LENGTH = 12
MAX_LENGTH = 1024
DENY = frozenset("""
password passw0rd password1 password123 123456789012 1234567890123 qwertyuiopas
qwertzuiopas iloveyou1234 letmein12345 welcome12345 administrator passwort1234
sternenhimmel allskycamera allsky123456 zenith123456 astronomy123 starlight123
changeme1234 trustno1trustno1 monkeymonkey football1234 baseball1234 sunshine1234
princess1234 dragon123456 abc123abc123 qwerty123456 passwordpassword
""".split())
# words that make a password guessable whatever digits or signs surround them
WORDS = frozenset("""password passwort passw0rd qwerty qwertz letmein welcome admin
administrator iloveyou sunshine princess football baseball dragon monkey master
zenith allsky allskycamera starlight sternenhimmel changeme secret""".split())
SEQUENCES = ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyzabcdefghij",
             "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm")


def weakness(password: str, user: str, site: str) -> str | None:
    """Why ``password`` is refused, or None."""
    if len(password) < MIN_LENGTH:
        return _("use at least %(n)s characters (a few words are easy to remember)") % {
            "n": MIN_LENGTH}
    if len(password) > MAX_LENGTH:
        return _("use at most %(n)s characters") % {"n": MAX_LENGTH}
    low = password.lower()
    if low in DENY or low.strip("0123456789!?.#*@$%&_- ") in WORDS:
        return _("this password is on the list of common passwords")
    if len(set(low)) <= 2:
        return _("this password repeats one or two characters")
    if any(low in seq or low in seq[::-1] for seq in SEQUENCES):
        return _("this password is a simple sequence")
    for word in (user.lower(), site.lower()):
        if len(word) >= 4 and word in low and len(low) - len(word) < MIN_LENGTH:
            return _("this password is mostly your username or the site's name")
    return None


def _page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    return owner_page(request, "owner/password.html", "owner-password", error=error,
                      changed=request.query.get("changed") == "1", min_length=MIN_LENGTH,
                      required=passwordgate.change_required(request[keys.CALLER]),
                      status=status)


async def page(request: web.Request) -> web.Response:
    return _page(request)


async def change(request: web.Request) -> web.StreamResponse:
    user = username(request)
    if user is None:
        return _page(request, _("Log in with your own account to change its password."), 403)
    form = await request.post()
    current, new, confirm = (str(form.get(name, "")) for name in ("current", "new", "confirm"))
    peer = request[keys.CLIENT]
    if new != confirm:
        return _page(request, _("The new password and its confirmation differ."), 400)
    reason = weakness(new, user, request.app[keys.SETTINGS].site_name)
    if reason is not None:
        return _page(request, _("The new password is refused: %(reason)s.") % {"reason": reason},
                     400)
    if new == current:
        return _page(request, _("The new password is the current one."), 400)
    try:
        await ask(request, auth.LOGIN, auth.Login(username=user, password=current[:1024] or "-",
                                                 client_ip=peer.address[:64]))
    except Unauthorized:
        return _page(request, _("The current password is wrong."), 400)
    except TooManyRequests as exc:
        return _page(request, exc.message, 429)
    await ask(request, auth.USER_PASSWD, auth.UserPasswd(username=user, password=new))
    pair = await ask(request, auth.LOGIN, auth.Login(username=user, password=new,
                                                     client_ip=peer.address[:64]))
    settings = request.app[keys.SETTINGS]
    target = request.app.router["owner-password"].url_for()
    response = see_other(f"{target}?changed=1")
    session.start_session(response, pair, settings,
                          secure=session.cookies_secure(request, settings, peer.via_proxy))
    return response
