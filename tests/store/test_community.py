"""Loading a community from YAML: the demo file, re-imports and bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.community import CommunityFileError, import_community, parse_community
from store.database import transaction
from store.models import Building, Grid, Person, PersonRole, Role

DEMO = Path(__file__).resolve().parents[2] / "config" / "community.demo.yml"


def demo() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    return document


def load(sessions: sessionmaker[Session], document: dict[str, Any]) -> None:
    with transaction(sessions) as session:
        import_community(session, parse_community(document))


def test_demo_community_routes_every_building_to_a_grid_member(
        sessions: sessionmaker[Session]) -> None:
    load(sessions, demo())
    with sessions() as session:
        grids = session.scalars(select(Grid)).all()
        assert len(grids) == 3
        assert all(g.grid_member and g.grid_member.has_role(Role.GRID_MEMBER) for g in grids)
        assert (session.scalar(select(func.count()).select_from(Building)) or 0) >= 12
        building = session.scalar(select(Building).where(Building.number == "12"))
        assert building is not None and building.grid.grid_member is not None
        assert building.grid.grid_member.name == "刘洋"
        roles = set(session.scalars(select(PersonRole.role)))
        assert {Role.SUPERVISOR, Role.STREET_CONTACT, Role.STAFF} <= roles


def test_importing_again_changes_nothing_but_what_changed(
        sessions: sessionmaker[Session]) -> None:
    load(sessions, demo())
    document = demo()
    document["people"][0]["roles"] = ["grid_member", "staff"]
    document["grids"][0]["buildings"].append("16")
    load(sessions, document)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == len(demo()["people"])
        zhang = session.scalar(select(Person).where(Person.name == "张伟"))
        assert zhang is not None and zhang.has_role(Role.STAFF)
        assert session.scalar(select(Building).where(Building.number == "16")) is not None


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("community"), "community"),
    (lambda d: d["grids"][0].update(grid_member="nobody"), "nobody"),
    (lambda d: d["people"][0].update(home="3楼"), "3-2-501"),
    (lambda d: d["grids"][1]["buildings"].append("1"), "more than one grid"),
    (lambda d: d["people"][0].update(roles=["king"]), "roles"),
])
def test_bad_files_say_what_is_wrong(change: Any, message: str) -> None:
    document = demo()
    change(document)
    with pytest.raises(CommunityFileError, match=message):
        parse_community(document)
