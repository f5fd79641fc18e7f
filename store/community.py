"""Loading a community (grids, buildings, people, households) from YAML, idempotently."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from store.models import (
    Building,
    ChatIdentity,
    Community,
    Event,
    Grid,
    Household,
    Person,
    PersonRole,
    Role,
)

# building-unit-room; a household registered by chat may lack its unit or room ("3--501").
_HOME = re.compile(r"^(\d+)-(\d*)-(\d*)$")
#: A key naming a person by their row id ("#12"): someone who came by chat and has no shell
#: login, as a table export (store/community_table.py) names them.
_BY_ID = re.compile(r"^#(\d+)$")
# A phone as people write one: digits with spaces or dashes, "+86" in front; 7 to 15 digits.
_PHONE = re.compile(r"^\+?\d[\d -]*\d$")


class CommunityFileError(ValueError):
    """The community file is not valid; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommunitySpec(_Strict):
    code: str
    name: str
    timezone: str = "Asia/Shanghai"
    default_language: str = "zh"


class PersonSpec(_Strict):
    key: str
    name: str
    phone: str | None = None
    roles: list[Role] = Field(default_factory=lambda: [Role.RESIDENT])
    language: str | None = None
    on_duty: bool = False
    home: str | None = Field(default=None, description='"building-unit-room", e.g. "3-2-501"')
    identities: dict[str, str] = Field(default_factory=dict)

    @field_validator("home")
    @classmethod
    def _home_shape(cls, value: str | None) -> str | None:
        if value is not None and not _HOME.match(value):
            raise ValueError('home must look like "3-2-501" (building-unit-room)')
        return value

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        digits = "".join(char for char in value if char.isdigit())
        # A number starting with 1 is a mainland mobile: 11 digits, 13x to 19x.
        mobile = value.strip()[0] == "1" and not re.fullmatch(r"1[3-9]\d{9}", digits)
        if not _PHONE.match(value.strip()) or not 7 <= len(digits) <= 15 or mobile:
            raise ValueError("phone must be a mobile (13800010001) or a landline "
                             "(010-12345678)")
        return value.strip()


class GridSpec(_Strict):
    code: str
    name: str
    grid_member: str | None = None
    supervisor: str | None = None
    buildings: list[str]


class EventSpec(_Strict):
    key: str
    title: dict[str, str]
    place: str | dict[str, str] = Field(
        description='{zh: …, en: …}; a single string is shown to everyone (one written '
                    '"中文 / English" is read as both)')
    in_days: int = Field(ge=0, description="days after the import; keeps the demo current")
    at: str = Field(pattern=r"^\d{1,2}:\d{2}$")
    capacity: int = Field(default=30, ge=1)

    @field_validator("place")
    @classmethod
    def _place_languages(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        if isinstance(value, dict) and (set(value) - {"zh", "en"} or not any(value.values())):
            raise ValueError("place must be a string or {zh: …, en: …}")
        return value


class CommunityFile(_Strict):
    community: CommunitySpec
    people: list[PersonSpec] = Field(default_factory=list)
    grids: list[GridSpec]
    events: list[EventSpec] = Field(default_factory=list)
    coordinates: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="building number → (latitude, longitude)")


@dataclass(frozen=True, slots=True)
class ImportReport:
    community: str
    grids: int
    buildings: int
    people: int


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one item of a community file: a ``kind`` of item ("grid",
    "building", "person") and its key, so a table import can name the row."""

    kind: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.message}"


def problems(spec: CommunityFile) -> list[Problem]:
    """How the parts of a valid-looking file disagree with each other (none: it is whole)."""
    found: list[Problem] = []
    keys: set[str] = set()
    for person in spec.people:
        if person.key in keys:
            found.append(Problem("person", person.key, "appears twice"))
        keys.add(person.key)
    for grid in spec.grids:
        for role, key in (("grid_member", grid.grid_member), ("supervisor", grid.supervisor)):
            if key is not None and key not in keys:
                found.append(Problem("grid", grid.code, f"{role} {key!r} is not in people"))
    grid_of: dict[str, str] = {}
    for grid in spec.grids:
        for number in grid.buildings:
            if number in grid_of:
                found.append(Problem("building", number, "belongs to more than one grid "
                                                         f"({grid_of[number]}, {grid.code})"))
            grid_of.setdefault(number, grid.code)
    for person in spec.people:
        if person.home and person.home.split("-")[0] not in grid_of:
            found.append(Problem("person", person.key,
                                 f"building of {person.home} is in no grid"))
    return found


def parse_community(document: Any) -> CommunityFile:
    try:
        spec = CommunityFile.model_validate(document)
    except ValidationError as error:
        raise CommunityFileError(str(error)) from None
    for problem in problems(spec):
        raise CommunityFileError(str(problem))
    return spec


_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def split_place(place: str | dict[str, str]) -> tuple[str, str | None]:
    """A place's Chinese (or only) name and its English one: from {zh, en}, or from one
    string written both ways, "1号楼活动室 / Activity room, Building 1"."""
    if isinstance(place, dict):
        chinese, english = place.get("zh"), place.get("en")
        return chinese or english or "", english if chinese else None
    halves = [half.strip() for half in place.split(" / ")]
    if len(halves) == 2 and all(halves):
        for chinese, english in (halves, halves[::-1]):
            if _CJK.search(chinese) and not _CJK.search(english) and _LATIN.search(english):
                return chinese, english
    return place.strip(), None


def _import_events(session: Session, community: Community, events: list[EventSpec],
                   today: dt.date) -> None:
    zone = ZoneInfo(community.timezone)
    for spec in events:
        hour, minute = (int(part) for part in spec.at.split(":"))
        day = today + dt.timedelta(days=spec.in_days)
        starts = dt.datetime.combine(day, dt.time(hour, minute), zone)
        event = session.scalar(select(Event).where(
            Event.community_id == community.id, Event.key == spec.key, Event.starts_at >= starts
            - dt.timedelta(days=1), Event.starts_at <= starts + dt.timedelta(days=1)))
        if event is None:
            event = Event(community_id=community.id, key=spec.key, starts_at=starts,
                          capacity=spec.capacity)
            session.add(event)
        # A re-import corrects the names of an event already there; its seats stay.
        event.title_zh = spec.title.get("zh", spec.key)
        event.title_en = spec.title.get("en", spec.key)
        event.place, event.place_en = split_place(spec.place)


def import_community(session: Session, spec: CommunityFile,
                     today: dt.date | None = None) -> ImportReport:
    """Create or update the community described by ``spec``. The caller commits."""
    community = session.scalar(select(Community).where(Community.code == spec.community.code))
    if community is None:
        community = Community(code=spec.community.code, name=spec.community.name)
        session.add(community)
    community.name = spec.community.name
    community.timezone = spec.community.timezone
    community.default_language = spec.community.default_language
    session.flush()

    buildings: dict[str, Building] = {}
    grids: dict[str, Grid] = {}
    for grid_spec in spec.grids:
        grid = session.scalar(select(Grid).where(Grid.community_id == community.id,
                                                 Grid.code == grid_spec.code))
        if grid is None:
            grid = Grid(community_id=community.id, code=grid_spec.code, name=grid_spec.name)
            session.add(grid)
        grid.name = grid_spec.name
        session.flush()
        grids[grid_spec.code] = grid
        for number in grid_spec.buildings:
            building = session.scalar(select(Building).where(
                Building.community_id == community.id, Building.number == number))
            if building is None:
                building = Building(community_id=community.id, number=number, grid_id=grid.id)
                session.add(building)
            building.grid_id = grid.id
            if number in spec.coordinates:
                building.latitude, building.longitude = spec.coordinates[number]
            buildings[number] = building
    session.flush()

    # Who has which chat identity and which flats exist, read once: a file of thousands of
    # people is written without a query per person.
    owners = {(i.channel, i.external_id): i.person_id for i in session.scalars(
        select(ChatIdentity))}
    homes = {(h.building_id, h.unit, h.room): h for h in session.scalars(
        select(Household).join(Building).where(Building.community_id == community.id))}
    session.scalars(select(Person).where(Person.community_id == community.id).options(
        selectinload(Person.roles), selectinload(Person.identities))).all()
    people: dict[str, Person] = {}
    for person_spec in spec.people:
        by_id = _BY_ID.match(person_spec.key)
        identity = {**({} if by_id else {"shell": person_spec.key}), **person_spec.identities}
        owner = int(by_id.group(1)) if by_id else owners.get(("shell", person_spec.key))
        person = session.get(Person, owner) if owner is not None else None
        if by_id and (person is None or person.community_id != community.id):
            raise CommunityFileError(f"person {person_spec.key}: no such person")
        if person is None:
            person = Person(community_id=community.id, name=person_spec.name)
            session.add(person)
        person.name = person_spec.name
        person.phone = person_spec.phone
        person.language = person_spec.language
        person.on_duty = person_spec.on_duty
        wanted = set(person_spec.roles)
        person.roles = [r for r in person.roles if r.role in wanted] + [
            PersonRole(role=role) for role in dict.fromkeys(person_spec.roles)
            if not person.has_role(role)]
        if person_spec.home:
            number, unit, room = person_spec.home.split("-")
            place = (buildings[number].id, unit or None, room or None)
            if place not in homes:  # new: every flat there is was read above
                homes[place] = Household(building=buildings[number], unit=place[1],
                                         room=place[2])
                session.add(homes[place])
            person.household = homes[place]
        for channel, external_id in identity.items():
            if (channel, external_id) not in owners:
                session.add(ChatIdentity(person=person, channel=channel,
                                         external_id=external_id))
                owners[(channel, external_id)] = 0  # taken from now on
        people[person_spec.key] = person
    session.flush()

    for grid_spec in spec.grids:
        grid = grids[grid_spec.code]
        grid.grid_member_id = people[grid_spec.grid_member].id if grid_spec.grid_member else None
        grid.supervisor_id = people[grid_spec.supervisor].id if grid_spec.supervisor else None
    # "In 3 days" counts from the community's own day, not the server's.
    _import_events(session, community, spec.events,
                   today or dt.datetime.now(ZoneInfo(community.timezone)).date())
    session.flush()
    return ImportReport(community.code, len(grids), len(buildings), len(people))


def household(session: Session, building: Building, unit: str | None,
              room: str | None) -> Household:
    """The household at building/unit/room, created if new."""
    found = session.scalar(select(Household).where(
        Household.building_id == building.id,
        Household.unit.is_(None) if unit is None else Household.unit == unit,
        Household.room.is_(None) if room is None else Household.room == room))
    if found is None:
        found = Household(building_id=building.id, unit=unit, room=room)
        session.add(found)
        session.flush()
    return found


def person_by_key(session: Session, community_id: int, key: str) -> Person | None:
    """A person by their key in a community file: their shell login, or "#<id>"."""
    by_id = _BY_ID.match(key)
    if by_id is None:
        return _person_by_identity(session, "shell", key)
    found = session.get(Person, int(by_id.group(1)))
    return found if found is not None and found.community_id == community_id else None


def person_key(person: Person) -> str:
    """The key a person has in a community file: their shell login, else "#<id>"."""
    return next((i.external_id for i in person.identities if i.channel == "shell"),
                f"#{person.id}")


def _person_by_identity(session: Session, channel: str, external_id: str) -> Person | None:
    return session.scalar(select(Person).join(ChatIdentity).where(
        ChatIdentity.channel == channel, ChatIdentity.external_id == external_id))


def nearest_building(session: Session, community_id: int, latitude: float, longitude: float,
                     within_metres: float = 80.0) -> Building | None:
    """The building closest to a shared location, if one is near enough to be meant."""
    best: tuple[float, Building] | None = None
    for building in session.scalars(select(Building).where(
            Building.community_id == community_id, Building.latitude.is_not(None))):
        assert building.latitude is not None and building.longitude is not None
        distance = _metres(latitude, longitude, building.latitude, building.longitude)
        if distance <= within_metres and (best is None or distance < best[0]):
            best = (distance, building)
    return best[1] if best else None


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def home(session: Session) -> Community | None:
    """The community this installation serves (the first loaded), or None before any is."""
    return session.scalar(select(Community).order_by(Community.id).limit(1))
