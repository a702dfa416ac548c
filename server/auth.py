"""Optional authentication for team deploys, set by environment variables.

Environment rather than config, so that one experiments.yaml serves a laptop and a team deploy:

``CC_AUTH_USERS_FILE=/etc/cc/users``
    HTTP basic auth; one ``user:password`` per line, the password in clear or as a werkzeug
    hash (``scrypt:...`` / ``pbkdf2:...``).
``CC_AUTH_PROXY_HEADER=X-Forwarded-User``
    trust a reverse proxy that authenticates users and sets this header; a request without it
    is refused (403). Only one of the two may be set.

Passwords are never logged; errors name the file and the line number only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

USERS_FILE_ENV = "CC_AUTH_USERS_FILE"
PROXY_HEADER_ENV = "CC_AUTH_PROXY_HEADER"
_HASH_PREFIXES = ("scrypt:", "pbkdf2:")


class AuthError(ValueError):
    """A bad authentication setting: one line, never containing a password."""


def read_users(path: str | Path) -> dict[str, str]:
    """``user:password`` lines (``#`` comments and blank lines ignored) as a dict."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise AuthError(f"{USERS_FILE_ENV}: cannot read users file {path} ({reason})") from None
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        user = user.strip()
        if not sep or not user or not password:
            raise AuthError(f"{path}: line {number}: expected 'user:password'")
        if user in users:
            raise AuthError(f"{path}: line {number}: user '{user}' appears twice")
        users[user] = password
    if not users:
        raise AuthError(f"{path}: no users (one 'user:password' per line)")
    return users


class _Verifier:
    """Checks passwords in constant time; a verified hash is remembered (per process) so that
    scrypt runs once per user and password, not once per request."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = users
        self._pepper = secrets.token_bytes(32)
        self._verified: set[bytes] = set()

    def __call__(self, user: str | None, password: str | None) -> bool:
        if not user or password is None or user not in self._users:
            return False
        stored = self._users[user]
        if not stored.startswith(_HASH_PREFIXES):
            return hmac.compare_digest(stored.encode("utf-8"), password.encode("utf-8"))
        token = hmac.new(self._pepper, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        if token in self._verified:
            return True
        from werkzeug.security import check_password_hash

        if check_password_hash(stored, password):
            self._verified.add(token)
            return True
        return False


def auth_settings(environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """``("basic", users_file)``, ``("proxy", header)`` or None, from the environment."""
    env = os.environ if environ is None else environ
    users_file = env.get(USERS_FILE_ENV, "").strip()
    header = env.get(PROXY_HEADER_ENV, "").strip()
    if users_file and header:
        raise AuthError(f"set either {USERS_FILE_ENV} or {PROXY_HEADER_ENV}, not both")
    if users_file:
        return "basic", users_file
    if header:
        return "proxy", header
    return None


def install_auth(app, environ: dict[str, str] | None = None) -> str | None:
    """Protect every route of a Dash app as the environment says; return a log line or None."""
    settings = auth_settings(environ)
    if settings is None:
        return None
    try:
        import flask
        from dash_auth.auth import Auth  # the before_request guard that BasicAuth builds on
    except ImportError:
        raise AuthError("authentication needs dash-auth: pip install -e '.[team]'") from None
    mode, value = settings
    if mode == "basic":
        verify = _Verifier(read_users(value))
        count = len(verify._users)

        class _Basic(Auth):
            def is_authorized(self) -> bool:
                credentials = flask.request.authorization  # werkzeug parses it; None if malformed
                if credentials is None or credentials.type != "basic":
                    return False
                return verify(credentials.username, credentials.password)

            def login_request(self):
                return flask.Response("Login required", status=401,
                                      headers={"WWW-Authenticate": 'Basic realm="Compress & Compare"'})

        _Basic(app)
        return f"auth: basic, {count} user{'s' if count != 1 else ''} from {value}"

    header = value

    class _Proxy(Auth):
        def is_authorized(self) -> bool:
            return bool(flask.request.headers.get(header, "").strip())

        def login_request(self):
            return flask.Response("Forbidden: sign in through the team's proxy", status=403)

    _Proxy(app)
    return f"auth: trusting the reverse proxy's {header} header"
