"""``linli console …``: console accounts from the terminal (wired into bot/cli.py)."""

from __future__ import annotations

import datetime as dt
import secrets
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

console_app = typer.Typer(help="The web console: accounts.", no_args_is_help=True)
user_app = typer.Typer(help="Console accounts.", no_args_is_help=True)
console_app.add_typer(user_app, name="user")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _read_password(password_stdin: bool) -> str:
    if not password_stdin:
        raise _fail("give the password on standard input with --password-stdin (never as an "
                    "argument: it would stay in the shell's history)")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise _fail("no password on standard input")
    return password


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="login name: lower-case letters, digits, _ . -")],
    role: Annotated[list[str], typer.Option("--role", help="operator, staff, supervisor, "
                                            "grid_member or admin; repeat for several")],
    person: Annotated[str | None, typer.Option(
        "--person", help="the community person this account is: an id, a chat identity "
        "(telegram:123) or the key in the community file (sun_li)")] = None,
    language: Annotated[str | None, typer.Option(help="zh or en; default the person's, "
                                                 "else zh")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="read the password from stdin")] = False,
) -> None:
    """Create a console account."""
    from bot.wiring import build_runtime
    from store import accounts, audit
    from store.database import transaction

    password = _read_password(password_stdin)
    if language is not None and language not in accounts.LANGUAGES:
        raise _fail("--language is zh or en")
    runtime = build_runtime(Settings())
    try:
        with transaction(runtime.sessions) as session:
            user = accounts.create(session, username, password, role, runtime.now(),
                                   person_key=person, language=language)
            audit.record(session, None, "account_created", runtime.now(), username="cli",
                         target=user.username, details={"roles": user.role_names})
            name, roles = user.username, user.roles
    except accounts.AccountError as error:
        raise _fail(str(error)) from None
    typer.echo(f"account {name} ({roles}) created; log in at /console/login")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(help="the account")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="read the password from stdin")] = False,
) -> None:
    """Set a console account's password."""
    from bot.wiring import build_runtime
    from store import accounts, audit
    from store.database import transaction

    password = _read_password(password_stdin)
    runtime = build_runtime(Settings())
    try:
        with transaction(runtime.sessions) as session:
            user = accounts.by_username(session, username)
            if user is None:
                raise _fail(f"no account {username!r}")
            accounts.set_password(user, password)
            audit.record(session, None, "password_set", runtime.now(), username="cli",
                         target=user.username)
    except accounts.AccountError as error:
        raise _fail(str(error)) from None
    typer.echo(f"password of {username} changed")


@user_app.command("list")
def user_list() -> None:
    """Console accounts: name, roles, person, language, state."""
    from bot.wiring import build_runtime
    from store import accounts

    runtime = build_runtime(Settings())
    with runtime.sessions() as session:
        users = accounts.all_users(session)
        if not users:
            typer.echo("no console accounts: create one with `linli console user add NAME "
                       "--role operator --password-stdin`")
        for user in users:
            person = f"{user.person.name} (#{user.person.id})" if user.person else "-"
            typer.echo(f"{user.username:<16} {user.roles:<28} {user.language:<3} {person}"
                       f"{'  disabled' if user.disabled else ''}")


def demo_logins(sessions: sessionmaker[Session], now: dt.datetime,
                host: str = "http://127.0.0.1:5005") -> list[str]:
    """Console accounts for the demo people, and lines saying how to log in (passwords of
    accounts made now; an existing account keeps its own)."""
    from store import accounts
    from store.database import transaction

    with transaction(sessions) as session:
        made = accounts.ensure_demo_accounts(session, now, lambda: secrets.token_urlsafe(9))
    if not made:
        return []
    lines = [f"console: `linli serve`, then open {host}/console/login and log in as"]
    for username, password, roles in made:
        shown = password if password else "(unchanged; set one with `linli console user " \
            f"password {username} --password-stdin`)"
        lines.append(f"  {username:<10} {roles:<24} password {shown}")
    return lines


def demo_accounts() -> None:
    """``linli demo``: the demo people's console accounts, with how to log in."""
    from bot.wiring import build_runtime

    runtime = build_runtime(Settings())
    for line in demo_logins(runtime.sessions, runtime.now()):
        typer.echo(line)
