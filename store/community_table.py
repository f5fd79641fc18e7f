"""The community's tables (people, households, buildings, grids, rota) as rows of text: read
for the console and for export, and written back from an uploaded file or a console form.

A write takes the same road as `linli community import`: the rows are laid over the community
as it stands (:func:`snapshot`, a ``CommunityFile``), the result is checked by
``store.community.problems`` and written by ``store.community.import_community``. Only what a
community file cannot say is done here: empty flats (households), clearing a home, an identity
or a building's position. A plan is worked out before anything is written, so a file with one
bad row writes nothing and the admin sees each row's line, what is wrong and what would change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from store import audit
from store.community import (
    CommunityFile,
    CommunitySpec,
    GridSpec,
    PersonSpec,
    household,
    import_community,
    person_by_key,
    person_key,
    problems,
)
from store.masking import mask_sensitive
from store.models import (
    Building,
    ChatIdentity,
    Community,
    ConsoleUser,
    Grid,
    Household,
    Person,
    Role,
)

Table = Literal["people", "households", "buildings", "grids", "rota"]
TABLES: tuple[Table, ...] = ("people", "households", "buildings", "grids", "rota")
#: Each table's columns, in file order; an export writes them and an import needs them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "people": ("key", "name", "phone", "language", "roles", "home", "identities"),
    "households": ("building", "unit", "room", "members"),
    "buildings": ("number", "grid", "latitude", "longitude"),
    "grids": ("code", "name", "grid_member", "supervisor"),
    "rota": ("key", "name", "on_duty"),
}
#: Shown and exported for the reader, ignored by an import.
READ_ONLY: dict[str, frozenset[str]] = {"households": frozenset({"members"}),
                                        "rota": frozenset({"name"})}
KEYS: dict[str, tuple[str, ...]] = {"people": ("key",), "households": ("building", "unit", "room"),
                                    "buildings": ("number",), "grids": ("code",),
                                    "rota": ("key",)}
#: A row of a table: every cell as text, "" for empty.
Row = dict[str, str]
MAX_ROWS = 20_000
LANGUAGES = ("zh", "en")
_ROLE_ORDER = {role.value: index for index, role in enumerate(Role)}
_SPLIT = re.compile(r"[,;，；、\s]+")
_NUMBER = re.compile(r"^\d{1,10}$")
_PART = re.compile(r"^\w{1,10}$")
_CODE = re.compile(r"^[\w-]{1,40}$")
#: PersonSpec's own checks, in Chinese (its English comes with the error).
_PERSON_ZH = {"phone": "电话应是手机号（13800010001）或座机号（010-12345678）",
              "home": "住址写成 楼-单元-室，如 3-2-501"}
_YES = {"yes", "y", "true", "1", "是", "值班"}
_NO = {"no", "n", "false", "0", "否", "", "不值班"}


class TableError(ValueError):
    """A table operation that cannot be done; ``reason`` is a short code for the console."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with the row on ``line`` (1 is the header; 0 a form or the whole file),
    in ``column``: said in English (``message``) and Chinese (``zh``)."""

    line: int
    column: str | None
    message: str
    zh: str

    def text(self, language: str) -> str:
        return self.message if language == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Change:
    line: int
    key: str
    status: Literal["added", "changed", "unchanged"]
    before: Row | None
    after: Row
    fields: tuple[str, ...]  # the columns that change


@dataclass(slots=True)
class Plan:
    """What writing some rows of ``table`` would do, worked out before anything is written."""

    table: Table
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    #: The community file with the rows laid over it, as written when the plan holds.
    spec: CommunityFile | None = field(default=None, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        found = {"added": 0, "changed": 0, "unchanged": 0}
        for change in self.changes:
            found[change.status] += 1
        return found

    @property
    def fingerprint(self) -> str:
        """Stands for the changes and the rows they start from: a confirmation made after a
        preview is refused when the data moved in between."""
        body = json.dumps([[c.key, c.status, c.before, c.after] for c in self.changes
                           if c.status != "unchanged"],
                          sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:20]


def key_of(table: str, row: Mapping[str, str]) -> str:
    """A row's key as one string ("3-2-501" for a household)."""
    return "-".join(row.get(column, "") for column in KEYS[table])


def writable(table: str) -> tuple[str, ...]:
    return tuple(c for c in COLUMNS[table] if c not in READ_ONLY.get(table, frozenset()))


# --- reading -------------------------------------------------------------------------------

def _home(person: Person) -> str:
    place = person.household
    if place is None:
        return ""
    return f"{place.building.number}-{place.unit or ''}-{place.room or ''}"


def _identities(person: Person) -> str:
    return ", ".join(sorted(f"{i.channel}:{i.external_id}" for i in person.identities
                            if i.channel != "shell"))


def _roles(roles: Iterable[str]) -> str:
    return ", ".join(sorted(set(roles), key=lambda r: _ROLE_ORDER.get(r, 99)))


def _people(session: Session, community: Community) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.community_id == community.id)
                                .options(selectinload(Person.identities),
                                         selectinload(Person.roles),
                                         selectinload(Person.household)
                                         .selectinload(Household.building))
                                .order_by(Person.id)))


def _grids(session: Session, community: Community) -> list[Grid]:
    return list(session.scalars(select(Grid).where(Grid.community_id == community.id)
                                .options(selectinload(Grid.buildings),
                                         selectinload(Grid.grid_member)
                                         .selectinload(Person.identities),
                                         selectinload(Grid.supervisor)
                                         .selectinload(Person.identities))
                                .order_by(Grid.code)))


def _by_number(number: str) -> tuple[int, str]:
    return (int(number), number) if number.isdigit() else (10 ** 9, number)


def rows(session: Session, community: Community, table: str,
         people: list[Person] | None = None) -> list[Row]:
    """Every row of ``table``, in a stable order: what an export writes. ``people``: the
    community's people when the caller has them loaded already."""
    if table in ("people", "rota"):
        people = _people(session, community) if people is None else people
        if table == "rota":
            return [{"key": person_key(p), "name": p.name, "on_duty": "yes" if p.on_duty else "no"}
                    for p in people if p.has_role(Role.STAFF) or p.has_role(Role.GRID_MEMBER)
                    or p.on_duty]
        return [{"key": person_key(p), "name": p.name, "phone": p.phone or "",
                 "language": p.language or "", "roles": _roles(r.role.value for r in p.roles),
                 "home": _home(p), "identities": _identities(p)} for p in people]
    if table == "grids":
        return [{"code": g.code, "name": g.name,
                 "grid_member": person_key(g.grid_member) if g.grid_member else "",
                 "supervisor": person_key(g.supervisor) if g.supervisor else ""}
                for g in _grids(session, community)]
    if table == "buildings":
        buildings = session.scalars(select(Building).where(
            Building.community_id == community.id).options(selectinload(Building.grid)))
        return [{"number": b.number, "grid": b.grid.code,
                 "latitude": "" if b.latitude is None else str(b.latitude),
                 "longitude": "" if b.longitude is None else str(b.longitude)}
                for b in sorted(buildings, key=lambda b: _by_number(b.number))]
    if table == "households":
        members: dict[int, list[str]] = {}
        for person in session.scalars(select(Person).where(
                Person.community_id == community.id, Person.household_id.is_not(None))
                .order_by(Person.id)):
            assert person.household_id is not None
            members.setdefault(person.household_id, []).append(person.name)
        places = session.scalars(select(Household).join(Building).where(
            Building.community_id == community.id).options(selectinload(Household.building)))
        return [{"building": h.building.number, "unit": h.unit or "", "room": h.room or "",
                 "members": "、".join(members.get(h.id, []))}
                for h in sorted(places, key=lambda h: (_by_number(h.building.number),
                                                       _by_number(h.unit or ""),
                                                       _by_number(h.room or "")))]
    raise TableError("table", f"no table {table!r}")


def snapshot(session: Session, community: Community,
             loaded: list[Person] | None = None) -> CommunityFile:
    """The community as it stands, as the community file that would describe it. Built
    without validation: rows written long ago are not judged again by today's rules."""
    people = [PersonSpec.model_construct(
        key=person_key(p), name=p.name, phone=p.phone, language=p.language,
        roles=[r.role for r in p.roles], on_duty=p.on_duty, home=_home(p) or None,
        identities={i.channel: i.external_id for i in p.identities if i.channel != "shell"})
        for p in (_people(session, community) if loaded is None else loaded)]
    grids = [GridSpec.model_construct(
        code=g.code, name=g.name, grid_member=person_key(g.grid_member) if g.grid_member else None,
        supervisor=person_key(g.supervisor) if g.supervisor else None,
        buildings=[b.number for b in sorted(g.buildings, key=lambda b: _by_number(b.number))])
        for g in _grids(session, community)]
    coordinates = {b.number: (b.latitude, b.longitude) for g in _grids(session, community)
                   for b in g.buildings if b.latitude is not None and b.longitude is not None}
    return CommunityFile.model_construct(
        community=CommunitySpec.model_construct(
            code=community.code, name=community.name, timezone=community.timezone,
            default_language=community.default_language),
        people=people, grids=grids, events=[], coordinates=coordinates)


# --- planning -------------------------------------------------------------------------------

def _clean(table: str, row: Mapping[str, str], line: int, errors: list[RowError]) -> Row:
    """A row's cells as the database would give them back (so an unchanged row compares
    equal), noting what is wrong in ``errors``."""
    def bad(column: str, zh: str, en: str) -> None:
        errors.append(RowError(line, column, en, zh))

    out = {c: str(row.get(c, "") or "").strip() for c in writable(table)}
    if table == "people":
        if not out["key"]:
            bad("key", "请填写编号（登录名，如 wang_aiyi）",
                "a person needs a key (their login name, e.g. wang_aiyi)")
        elif not re.fullmatch(r"#?[\w.@-]{1,100}", out["key"]):
            bad("key", "编号只能用字母、数字和 _ . @ -", "a key is letters, digits, _ . @ or -")
        if not out["name"]:
            bad("name", "请填写姓名", "a person needs a name")
        if out["language"] and out["language"] not in LANGUAGES:
            bad("language", "语言填 zh 或 en（可空）", "language is zh or en (or empty)")
        roles = [r for r in _SPLIT.split(out["roles"]) if r]
        unknown = [r for r in roles if r not in _ROLE_ORDER]
        if unknown:
            bad("roles", f"没有“{unknown[0]}”这个角色，可用：" + ", ".join(Role),
                f"unknown role {unknown[0]!r}: use " + ", ".join(Role))
        out["roles"] = _roles(roles)
        identities = []
        for item in (i for i in re.split(r"[,;，；\s]+", out["identities"]) if i):
            channel, _, external = item.partition(":")
            if not channel or not external or channel == "shell":
                bad("identities", f"“{item}”应写成 渠道:编号，如 telegram:12345",
                    f"{item!r}: write channel:id, e.g. telegram:12345")
            identities.append(f"{channel}:{external}")
        out["identities"] = ", ".join(sorted(set(identities)))
        try:
            spec = PersonSpec(key=out["key"] or "-", name=out["name"] or "-",
                              phone=out["phone"] or None, home=out["home"] or None)
            out["phone"] = spec.phone or ""
        except ValidationError as error:
            for problem in error.errors():
                column = str(problem["loc"][0])
                bad(column, _PERSON_ZH.get(column, "格式不对"),
                    problem["msg"].removeprefix("Value error, "))
    elif table == "households":
        if not _NUMBER.match(out["building"]):
            bad("building", "楼栋填楼号，如 3", "a building is its number, e.g. 3")
        for column in ("unit", "room"):
            if out[column] and not _PART.match(out[column]):
                bad(column, "单元和室号最多10个字母或数字",
                    f"{column} is up to 10 letters or digits")
    elif table == "buildings":
        if not _NUMBER.match(out["number"]):
            bad("number", "楼号只能是数字，如 3", "a building is its number, e.g. 3")
        if not out["grid"]:
            bad("grid", "请填写楼栋所属网格", "name the grid the building belongs to")
        for column, limit in (("latitude", 90.0), ("longitude", 180.0)):
            if out[column]:
                try:
                    degrees = float(out[column])
                except ValueError:
                    degrees = float("nan")
                if not -limit <= degrees <= limit:
                    bad(column, f"应为 -{limit:g} 到 {limit:g} 之间的数",
                        f"{column} is a number from -{limit:g} to {limit:g}")
                else:
                    out[column] = str(degrees)
        if bool(out["latitude"]) != bool(out["longitude"]):
            bad("latitude", "经纬度要么都填，要么都不填",
                "give both latitude and longitude, or neither")
    elif table == "grids":
        if not _CODE.match(out["code"]):
            bad("code", "网格编号最多40个字母或数字，如 G1",
                "a grid code is up to 40 letters or digits, e.g. G1")
        if not out["name"]:
            bad("name", "请填写网格名称", "a grid needs a name")
    elif table == "rota":
        answer = out["on_duty"].lower()
        if answer not in _YES | _NO:
            bad("on_duty", "值班填 yes 或 no（是/否）", "on_duty is yes or no")
        out["on_duty"] = "yes" if answer in _YES else "no"
    return out


def plan(session: Session, community: Community, table: str,
         given: Sequence[tuple[int, Mapping[str, str]]]) -> Plan:
    """What writing ``given`` (line, row) pairs to ``table`` would do, and what is wrong with
    them. Nothing is written. Rows not given are left as they are."""
    if table not in TABLES:
        raise TableError("table", f"no table {table!r}")
    result = Plan(table)
    if len(given) > MAX_ROWS:
        result.errors.append(RowError(0, None, f"at most {MAX_ROWS} rows at a time",
                                      f"一次最多 {MAX_ROWS} 行"))
        return result
    # Loaded once: the current rows and the community file are both made of them.
    people = _people(session, community)
    current = {key_of(table, row): row for row in rows(session, community, table, people)}
    seen: dict[str, int] = {}
    cleaned: list[tuple[int, Row]] = []
    for line, raw in given:
        row = _clean(table, raw, line, result.errors)
        key = key_of(table, row)
        if key in seen:
            result.errors.append(RowError(line, KEYS[table][0],
                                          f"{key} is already on line {seen[key]}",
                                          f"{key} 在第 {seen[key]} 行已经有了"))
            continue
        seen[key] = line
        cleaned.append((line, row))
        before = current.get(key)
        compared = writable(table)
        fields = tuple(c for c in compared if before is None or before.get(c, "") != row[c])
        status: Literal["added", "changed", "unchanged"] = (
            "added" if before is None else "changed" if fields else "unchanged")
        result.changes.append(Change(line, key, status, before,
                                     {**(before or {}), **row}, fields if before else ()))
    # Rows already wrong on their own are left out, so each error is said once.
    wrong = {error.line for error in result.errors}
    _check_together(session, community, table,
                    [(line, row) for line, row in cleaned if line not in wrong], result, people)
    result.errors.sort(key=lambda error: error.line)
    return result


def _check_together(session: Session, community: Community, table: str,
                    cleaned: list[tuple[int, Row]], result: Plan,
                    people: list[Person]) -> None:
    """The checks that need the whole community: a grid member who is nobody, a home in a
    building no grid has, an identity someone else has."""
    lines = {key_of(table, row): line for line, row in cleaned}
    spec = _overlay(session, community, table, [row for _, row in cleaned], result, people)
    result.spec = spec
    if table == "households":
        return
    for problem in problems(spec):
        kind = {"people": "person", "rota": "person", "grids": "grid",
                "buildings": "building"}[table]
        line = lines.get(problem.key, 0) if problem.kind == kind else 0
        column = {"grid": "grid_member" if "grid_member" in problem.message else "supervisor",
                  "person": "home", "building": "grid"}.get(problem.kind)
        result.errors.append(RowError(line, column if line else None, str(problem),
                                      f"与现有数据不一致：{problem}"))


def _overlay(session: Session, community: Community, table: str, given: list[Row],
             result: Plan, loaded: list[Person]) -> CommunityFile:
    """The community file ``snapshot`` with ``given`` laid over it; what cannot be laid over
    (an unknown grid, building or person) goes into ``result.errors``."""
    spec = snapshot(session, community, loaded)
    lines = {c.key: c.line for c in result.changes}
    owners = _identity_owners(session) if table == "people" else {}
    numbers = {n for g in spec.grids for n in g.buildings}
    people = {p.key: p for p in spec.people}
    grids = {g.code: g for g in spec.grids}
    for row in given:
        line = lines.get(key_of(table, row), 0)
        if table == "people":
            old = people.get(row["key"])
            if old is None and row["key"].startswith("#"):
                result.errors.append(RowError(line, "key", f"there is no person {row['key']}",
                                              f"没有 {row['key']} 这个人"))
                continue
            for item in (i for i in row["identities"].split(", ") if i):
                owner = owners.get(tuple(item.split(":", 1)))
                if owner is not None and owner != row["key"]:
                    result.errors.append(RowError(
                        line, "identities", f"{item} belongs to {owner}",
                        f"{item} 已属于 {owner}"))
            if old is None and ("shell", row["key"]) in owners:
                result.errors.append(RowError(line, "key", f"{row['key']} is taken",
                                              f"编号 {row['key']} 已被占用"))
            people[row["key"]] = PersonSpec.model_construct(
                key=row["key"], name=row["name"], phone=row["phone"] or None,
                language=row["language"] or None,
                roles=[Role(r) for r in row["roles"].split(", ") if r],
                on_duty=old.on_duty if old else False, home=row["home"] or None,
                identities=dict(i.split(":", 1) for i in row["identities"].split(", ") if i))
        elif table == "rota":
            old = people.get(row["key"])
            if old is None:
                result.errors.append(RowError(line, "key", f"there is no person {row['key']}",
                                              f"没有 {row['key']} 这个人"))
                continue
            people[row["key"]] = old.model_copy(update={"on_duty": row["on_duty"] == "yes"})
        elif table == "grids":
            # Tickets go to whoever holds the post: it must be someone meant for it.
            for post, role in (("grid_member", Role.GRID_MEMBER), ("supervisor", Role.SUPERVISOR)):
                holder = people.get(row[post])
                if holder is not None and role not in holder.roles:
                    result.errors.append(RowError(
                        line, post, f"{row[post]} does not have the role {role}",
                        f"{row[post]} 没有 {role} 角色，请先在“人员”里加上"))
            old_grid = grids.get(row["code"])
            grids[row["code"]] = GridSpec.model_construct(
                code=row["code"], name=row["name"], grid_member=row["grid_member"] or None,
                supervisor=row["supervisor"] or None,
                buildings=old_grid.buildings if old_grid else [])
        elif table == "buildings":
            if row["grid"] not in grids:
                result.errors.append(RowError(line, "grid", f"there is no grid {row['grid']}",
                                              f"没有网格 {row['grid']}"))
                continue
            for code, grid in grids.items():
                kept = [n for n in grid.buildings if n != row["number"]]
                if code == row["grid"]:
                    kept.append(row["number"])
                grids[code] = grid.model_copy(update={"buildings": kept})
            if row["latitude"]:
                spec.coordinates[row["number"]] = (float(row["latitude"]),
                                                   float(row["longitude"]))
            else:
                spec.coordinates.pop(row["number"], None)
        elif table == "households" and row["building"] not in numbers:
            result.errors.append(RowError(line, "building",
                                          f"there is no building {row['building']}",
                                          f"没有 {row['building']} 号楼"))
    return spec.model_copy(update={"people": list(people.values()),
                                   "grids": list(grids.values())})


def _identity_owners(session: Session) -> dict[tuple[str, ...], str]:
    """Every chat identity → the key of the person who has it (one query, any community)."""
    found = session.execute(select(ChatIdentity.channel, ChatIdentity.external_id,
                                   ChatIdentity.person_id)).all()
    shell = {person: external for channel, external, person in found if channel == "shell"}
    return {(channel, external): shell.get(person, f"#{person}")
            for channel, external, person in found}


# --- writing -------------------------------------------------------------------------------

def apply(session: Session, community: Community, table: str,
          given: Sequence[tuple[int, Mapping[str, str]]], user: ConsoleUser | None,
          now: dt.datetime, expected: str | None = None, source: str = "form") -> Plan:
    """Write ``given`` rows to ``table`` if every one is right (else nothing), each change
    audited with its before and after. ``expected``: the fingerprint of the preview the admin
    confirmed; a different plan now is refused (TableError "moved"). The caller commits."""
    result = plan(session, community, table, given)
    if result.errors:
        return result
    if expected is not None and expected != result.fingerprint:
        raise TableError("moved", "the data changed since the preview")
    changed = [c for c in result.changes if c.status != "unchanged"]
    if not changed:
        return result
    if table == "households":
        for change in changed:
            building = session.scalar(select(Building).where(
                Building.community_id == community.id,
                Building.number == change.after["building"]))
            assert building is not None
            household(session, building, change.after["unit"] or None,
                      change.after["room"] or None)
    else:
        spec = result.spec
        assert spec is not None
        touched = {c.key for c in changed}
        holders = {k for g in spec.grids for k in (g.grid_member, g.supervisor) if k}
        people = [p for p in spec.people if p.key in touched | holders] \
            if table in ("people", "rota", "grids") else \
            [p for p in spec.people if p.key in holders]
        import_community(session, spec.model_copy(update={"people": people}))
        if table == "people":
            _finish_people(session, community, changed)
        elif table == "buildings":
            for change in changed:
                if not change.after["latitude"]:
                    building = session.scalar(select(Building).where(
                        Building.community_id == community.id,
                        Building.number == change.key))
                    if building is not None:
                        building.latitude = building.longitude = None
    for change in changed:
        audit.record(session, user, f"community_{table}_{change.status}", now,
                     target=f"{table}:{change.key}",
                     details={"source": source, "line": change.line,
                              "before": masked(change.before), "after": masked(change.after),
                              "fields": list(change.fields)})
    session.flush()
    return result


def _finish_people(session: Session, community: Community, changed: list[Change]) -> None:
    """What a community file cannot say: an empty home clears it, an identity left out of the
    row is taken away (the shell login is the key, and stays)."""
    by_key = {person_key(person): person for person in _people(session, community)}
    for change in changed:
        person = by_key[change.key]
        if not change.after["home"]:
            person.household = None
        wanted = {tuple(i.split(":", 1)) for i in change.after["identities"].split(", ") if i}
        for identity in list(person.identities):
            if identity.channel != "shell" and (identity.channel, identity.external_id) \
                    not in wanted:
                person.identities.remove(identity)
                session.delete(identity)


def masked(row: Mapping[str, str] | None) -> Row | None:
    """A row as lists and the audit log show it: the phone masked."""
    return None if row is None else {k: mask_sensitive(v) if k == "phone" else v
                                     for k, v in row.items()}


def remove(session: Session, community: Community, table: str, key: str,
           user: ConsoleUser | None, now: dt.datetime) -> Literal["deleted", "deactivated"]:
    """Take a row away. A row nothing refers to is deleted; a person others' records refer to
    (tickets, messages) is deactivated: no roles, not on duty, no home. A building, grid or
    household still in use is refused (TableError "in_use"). The caller commits."""
    current = {key_of(table, row): row for row in rows(session, community, table)}
    if key not in current:
        raise TableError("not_found", f"there is no {key} in {table}")
    target: Person | Building | Grid | Household | None
    if table == "people":
        target = person_by_key(session, community.id, key)
        assert target is not None
        posts = session.scalars(select(Grid.code).where(
            (Grid.grid_member_id == target.id) | (Grid.supervisor_id == target.id))).all()
        if posts:
            raise TableError("in_use", f"{key} still holds a post in grid {', '.join(posts)}")
    elif table == "buildings":
        target = session.scalar(select(Building).where(
            Building.community_id == community.id, Building.number == key))
    elif table == "grids":
        target = session.scalar(select(Grid).where(Grid.community_id == community.id,
                                                   Grid.code == key))
    elif table == "households":
        row = current[key]
        target = session.scalar(select(Household).join(Building).where(
            Building.community_id == community.id, Building.number == row["building"],
            Household.unit.is_(None) if not row["unit"] else Household.unit == row["unit"],
            Household.room.is_(None) if not row["room"] else Household.room == row["room"]))
    else:
        raise TableError("not_removable", f"rows of {table} are not removed: edit them")
    assert target is not None
    outcome: Literal["deleted", "deactivated"] = "deleted"
    try:
        with session.begin_nested():
            if isinstance(target, Person):
                for identity in list(target.identities):
                    session.delete(identity)
                target.roles.clear()
            session.delete(target)
    except IntegrityError:
        session.expire_all()
        if not isinstance(target, Person):
            raise TableError("in_use", f"{key} is still in use (people, tickets or buildings "
                                       "refer to it)") from None
        person = person_by_key(session, community.id, key)
        assert person is not None
        person.roles.clear()
        person.on_duty = False
        person.household = None
        outcome = "deactivated"
    audit.record(session, user, f"community_{table}_{outcome}", now, target=f"{table}:{key}",
                 details={"before": masked(current[key]), "after": None})
    session.flush()
    return outcome


def find(session: Session, community: Community, table: str, key: str) -> Row | None:
    return next((r for r in rows(session, community, table) if key_of(table, r) == key), None)


__all__ = ["COLUMNS", "KEYS", "READ_ONLY", "TABLES", "Change", "Plan", "Row",
           "RowError", "TableError", "apply", "find", "masked", "plan", "remove", "rows",
           "snapshot"]
