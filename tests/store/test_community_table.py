"""The community's tables as files, on SQLite and PostgreSQL: an export imports back unchanged,
a bad row is named by its line and nothing is written, a good file is written and audited,
and rows others refer to are kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store import community_files, community_table
from store.community import CommunityFileError, home, parse_community
from store.database import transaction
from store.models import AuditEntry, Building, Community, Household, Person, Role, Ticket
from store.privacy import find_person
from tests import demo

NOW = dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.UTC)


@pytest.fixture
def sessions_with_demo(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    demo.load_community(sessions, NOW.date())
    return sessions


def _community(session: Session) -> Community:
    found = home(session)
    assert found is not None
    return found


def _import(sessions: sessionmaker[Session], table: str, data: bytes,
            kind: community_files.Format = "csv") -> community_table.Plan:
    """An upload confirmed at once: read, then written if every row is right."""
    read = community_files.read(table, data, kind)
    assert not read.errors, read.errors
    with transaction(sessions) as session:
        return community_table.apply(session, _community(session), table, read.rows, None,
                                     NOW, source="file")


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _audits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize("kind", community_files.FORMATS)
def test_an_export_imports_back_with_no_changes(sessions_with_demo: sessionmaker[Session],
                                                kind: community_files.Format) -> None:
    sessions = sessions_with_demo
    with sessions() as session:
        exported = {table: community_files.write(
            table, community_table.rows(session, _community(session), table), kind)
            for table in community_table.TABLES}
    for table, data in exported.items():
        read = community_files.read(table, data, kind)
        with sessions() as session:
            result = community_table.plan(session, _community(session), table, read.rows)
            assert result.errors == [], table
            assert result.counts["added"] == result.counts["changed"] == 0, table
            assert result.counts["unchanged"] == len(read.rows) > 0, table
    with sessions() as session:
        assert "13912340001" in exported["people"].decode("utf-8-sig") if kind == "csv" \
            else community_table.rows(session, _community(session), "people")[8]["phone"] \
            == "13912340001"


def test_a_bad_row_is_named_by_its_line_and_nothing_is_written(
        sessions_with_demo: sessionmaker[Session]) -> None:
    sessions = sessions_with_demo
    header = ",".join(community_table.COLUMNS["people"])
    data = _csv(header,
                "wang_aiyi,王阿姨,13912349999,zh,resident,3-2-501,",
                "new_one,新居民,13912340100,zh,resident,99-1-101,",
                "bad_phone,电话不对,12ab,zh,resident,3-1-101,",
                "king,国王,13912340101,zh,king,,")
    read = community_files.read("people", data, "csv")
    with transaction(sessions) as session:
        before = _audits(session)
        result = community_table.apply(session, _community(session), "people", read.rows,
                                       None, NOW)
    by_line = {(e.line, e.column): e.message for e in result.errors}
    assert set(by_line) == {(3, "home"), (4, "phone"), (5, "roles")}, result.errors
    assert "99" in by_line[(3, "home")] or "no grid" in by_line[(3, "home")]
    with sessions() as session:
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None and aiyi.phone == "13912340001"
        assert find_person(session, "new_one") is None
        assert _audits(session) == before


def test_a_good_file_is_written_and_each_change_audited(
        sessions_with_demo: sessionmaker[Session]) -> None:
    sessions = sessions_with_demo
    header = ",".join(community_table.COLUMNS["people"])
    result = _import(sessions, "people", _csv(
        header,
        "wang_aiyi,王阿姨,139 1234 5678,zh,resident,3-2-502,telegram:777",
        "new_one,新居民,13912340100,en,resident,7-1-101,",
        "li_shushu,李叔叔,13912340002,zh,resident,12-1-302,"))
    assert result.errors == []
    assert result.counts == {"added": 1, "changed": 1, "unchanged": 1}
    with sessions() as session:
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None and aiyi.phone == "139 1234 5678"
        assert aiyi.household is not None and aiyi.household.room == "502"
        assert find_person(session, "telegram:777") is aiyi
        newcomer = find_person(session, "new_one")
        assert newcomer is not None and newcomer.language == "en"
        assert newcomer.has_role(Role.RESIDENT)
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.target) for e in entries] == [
            ("community_people_changed", "people:wang_aiyi"),
            ("community_people_added", "people:new_one")]
        details: dict[str, Any] = entries[0].details or {}
        assert details["before"]["home"] == "3-2-501" and details["after"]["home"] == "3-2-502"
        assert details["after"]["phone"] == "139****5678"  # masked in the log too
        assert details["line"] == 2 and set(details["fields"]) == {"phone", "home",
                                                                   "identities"}


def test_a_grid_import_moves_the_grid_member_and_buildings(
        sessions_with_demo: sessionmaker[Session]) -> None:
    sessions = sessions_with_demo
    assert _import(sessions, "grids", _csv(
        "code,name,grid_member,supervisor", "G1,第一网格,wang_fang,li_na")).errors == []
    buildings = _import(sessions, "buildings", _csv(
        "number,grid,latitude,longitude", "16,G3,,", "5,G2,39.96,116.4136"))
    assert buildings.counts == {"added": 1, "changed": 1, "unchanged": 0}
    with sessions() as session:
        by_number = {b.number: b for b in session.scalars(select(Building))}
        assert by_number["3"].grid.grid_member is not None
        assert by_number["3"].grid.grid_member.name == "王芳"
        assert by_number["5"].grid.code == "G2" and by_number["16"].grid.code == "G3"
    unknown = community_files.read("buildings", _csv("number,grid,latitude,longitude",
                                                      "17,G9,,"), "csv")
    with sessions() as session:
        errors = community_table.plan(session, _community(session), "buildings",
                                      unknown.rows).errors
    assert [(e.line, e.column) for e in errors] == [(2, "grid")]


def test_a_grid_member_who_is_nobody_or_no_grid_member_is_refused(
        sessions_with_demo: sessionmaker[Session]) -> None:
    read = community_files.read("grids", _csv("code,name,grid_member,supervisor",
                                              "G1,第一网格,zhang_wei,li_na",
                                              "G2,第二网格,nobody,li_na",
                                              "G3,第三网格,wang_aiyi,li_na"), "csv")
    with sessions_with_demo() as session:
        result = community_table.plan(session, _community(session), "grids", read.rows)
    assert [(e.line, e.column) for e in result.errors] == [(3, "grid_member"),
                                                           (4, "grid_member")]
    assert "nobody" in result.errors[0].message
    assert "wang_aiyi" in result.errors[1].message  # a resident, not a grid member


def test_households_and_the_rota(sessions_with_demo: sessionmaker[Session]) -> None:
    sessions = sessions_with_demo
    read = community_files.read("households", _csv("building,unit,room,members",
                                                   "3,1,101,", "99,1,101,"), "csv")
    with sessions() as session:
        errors = community_table.plan(session, _community(session), "households",
                                      read.rows).errors
    assert [(e.line, e.column) for e in errors] == [(3, "building")]
    assert _import(sessions, "households", _csv("building,unit,room,members",
                                                "3,1,101,someone")).counts["added"] == 1
    assert _import(sessions, "rota", _csv("key,name,on_duty", "zhao_min,赵敏,no",
                                          "sun_li,孙丽,是")).counts["changed"] == 2
    with sessions() as session:
        assert session.scalar(select(Household).where(Household.room == "101",
                                                      Household.unit == "1")) is not None
        on_duty = {p.name for p in session.scalars(select(Person).where(
            Person.on_duty.is_(True)))}
        assert on_duty == {"张伟", "孙丽"}


def test_an_unreadable_file_or_header_is_refused_before_any_row() -> None:
    assert community_files.read("people", b"\x00\x01garbage", "xlsx").errors[0].line == 0
    header = community_files.read("people", _csv("key,name,telephone", "a,b,1"), "csv")
    assert header.rows == [] and header.errors[0].line == 1
    assert "phone" in header.errors[0].message and "telephone" in header.errors[0].message
    chinese_excel = "key,name,on_duty\r\nzhao_min,赵敏,否\r\n".encode("gb18030")
    assert community_files.read("rota", chinese_excel, "csv").rows == [
        (2, {"key": "zhao_min", "on_duty": "否"})]


def test_rows_others_refer_to_are_kept(sessions_with_demo: sessionmaker[Session]) -> None:
    sessions = sessions_with_demo
    _import(sessions, "people", _csv(",".join(community_table.COLUMNS["people"]),
                                     "passing,路人,,zh,resident,,"))
    with transaction(sessions) as session:
        community = _community(session)
        assert community_table.remove(session, community, "people", "passing", None,
                                      NOW) == "deleted"
        with pytest.raises(community_table.TableError, match="G1"):
            community_table.remove(session, community, "people", "zhang_wei", None, NOW)
        with pytest.raises(community_table.TableError) as in_use:
            community_table.remove(session, community, "buildings", "3", None, NOW)
        assert in_use.value.reason == "in_use"
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None
        session.add(Ticket(number="BX-20261121-0001", community_id=community.id,
                           kind="repair", category="water", status="new", text="漏水",
                           reporter_id=aiyi.id, created_at=NOW))
        session.flush()
        assert community_table.remove(session, community, "people", "wang_aiyi", None,
                                      NOW) == "deactivated"
    with sessions() as session:
        assert find_person(session, "passing") is None
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None and aiyi.roles == [] and aiyi.household is None
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_community_file_refuses_a_bad_phone_too() -> None:
    document = yaml.safe_load((demo.CONFIG / "community.demo.yml").read_text(encoding="utf-8"))
    document["people"][0]["phone"] = "call me"
    with pytest.raises(CommunityFileError, match="phone"):
        parse_community(document)
