"""Console accounts: usernames, argon2 password hashes, roles. Functions take a session and
never commit; the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ConsoleUser, Person

#: Roles a console account may hold (DESIGN.md, Console); an account may hold several.
CONSOLE_ROLES = ("operator", "staff", "supervisor", "grid_member", "admin")
LANGUAGES = ("zh", "en")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,59}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong name costs as long as a wrong
# password and timing tells nobody which names exist.
_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$w7bc4bcyrCztH20w6lPnmA"
               "$Yli3XbWVCwyKDQZwcexTYS+uCWoh3pMvE2P5+FvyWik")


class AccountError(ValueError):
    """A bad username, role, password or duplicate account, said plainly; ``code`` names
    the problem for a translated message (username, roles, password, taken, person,
    language, last_admin)."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise AccountError("a username is 2-60 characters: lower-case letters, digits, "
                           "'_', '.', '-', starting with a letter or digit", "username")
    return name


def check_roles(roles: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(role.strip() for role in roles if role.strip()))
    unknown = [role for role in chosen if role not in CONSOLE_ROLES]
    if unknown or not chosen:
        raise AccountError(f"roles must be among {', '.join(CONSOLE_ROLES)} "
                           f"(got {', '.join(unknown) or 'none'})", "roles")
    return chosen


def by_username(session: Session, username: str) -> ConsoleUser | None:
    return session.scalar(select(ConsoleUser).where(
        ConsoleUser.username == username.strip().lower()))


def add_user(session: Session, username: str, password: str, roles: Iterable[str],
             now: dt.datetime, person: Person | None = None,
             language: str | None = None) -> ConsoleUser:
    """A new account; raises AccountError for a taken name, unknown role or short password."""
    name = check_username(username)
    chosen = check_roles(roles)
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters", "password")
    if by_username(session, name) is not None:
        raise AccountError(f"there is already an account {name!r}", "taken")
    language = language or (person.language if person and person.language in LANGUAGES
                            else "zh")
    user = ConsoleUser(username=name, password_hash=hash_password(password),
                       roles=",".join(chosen), person_id=person.id if person else None,
                       language=language, created_at=now, disabled=False)
    session.add(user)
    session.flush()
    return user


def set_password(user: ConsoleUser, password: str) -> None:
    """A new password; it ends every session made with the old one (console/security.py)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters", "password")
    user.password_hash = hash_password(password)


def create(session: Session, username: str, password: str, roles: Iterable[str],
           now: dt.datetime, *, person_key: str | None = None, language: str | None = None
           ) -> ConsoleUser:
    """``add_user`` as ``linli console user add`` and the console's accounts page ask: the
    person by a key ``store.privacy.find_person`` understands, the language checked."""
    from store.privacy import find_person

    if language is not None and language not in LANGUAGES:
        raise AccountError("the language is zh or en", "language")
    person = None
    if person_key:
        person = find_person(session, person_key.strip())
        if person is None:
            raise AccountError(f"no person {person_key!r} in the community", "person")
    return add_user(session, username, password, roles, now, person=person,
                    language=language)


def _keeps_an_admin(session: Session, user: ConsoleUser, roles: Sequence[str],
                    disabled: bool) -> None:
    """Refuse a change that would leave no enabled admin: nobody could manage accounts."""
    if "admin" not in user.role_names or user.disabled or ("admin" in roles and not disabled):
        return
    others = session.scalars(select(ConsoleUser).where(
        ConsoleUser.id != user.id, ConsoleUser.disabled.is_(False))).all()
    if not any("admin" in other.role_names for other in others):
        raise AccountError("this is the last enabled admin account", "last_admin")


def set_roles(session: Session, user: ConsoleUser, roles: Iterable[str]) -> list[str]:
    """Replace an account's roles; returns the roles it had."""
    chosen = check_roles(roles)
    _keeps_an_admin(session, user, chosen, user.disabled)
    before = user.role_names
    user.roles = ",".join(chosen)
    return before


def set_disabled(session: Session, user: ConsoleUser, disabled: bool) -> None:
    """Disable (every session ends at once) or enable an account."""
    if disabled:
        _keeps_an_admin(session, user, user.role_names, True)
    user.disabled = disabled


def authenticate(session: Session, username: str, password: str) -> ConsoleUser | None:
    """The enabled account with this name and password, else None (always taking as long)."""
    user = by_username(session, username) if _USERNAME.match(username.strip().lower()) else None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def all_users(session: Session) -> Sequence[ConsoleUser]:
    return session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)).all()


#: Accounts ``linli demo`` makes for the demo community's people: (username, roles).
DEMO_ACCOUNTS = (("sun_li", ("operator", "staff")), ("zhao_min", ("staff",)),
                 ("zhang_wei", ("grid_member",)), ("li_na", ("supervisor",)),
                 ("admin", ("admin", "operator", "staff")))


def ensure_demo_accounts(session: Session, now: dt.datetime,
                         make_password: Callable[[], str]) -> list[tuple[str, str | None, str]]:
    """Demo accounts for the demo people present: (username, new password or None when the
    account existed already, roles)."""
    from store.privacy import find_person

    made: list[tuple[str, str | None, str]] = []
    for username, roles in DEMO_ACCOUNTS:
        person = find_person(session, username)
        if person is None:
            continue
        existing = by_username(session, username)
        if existing is not None:
            made.append((username, None, existing.roles))
            continue
        password = make_password()
        add_user(session, username, password, roles, now, person=person)
        made.append((username, password, ",".join(roles)))
    return made
