"""Community data in the console, over real HTTP on SQLite and PostgreSQL: an admin's edit of a
phone and a grid assignment changes where the next ticket goes, an import with a bad row is
refused by line and writes nothing, a good one is written and audited, an export imports back
unchanged, and only admins get in."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.conversation import ConversationService
from store.models import AuditEntry, OutboxMessage, Ticket
from store.privacy import find_person
from tests.bot.test_dialogues import talker
from tests.console.conftest import PASSWORD, Login

PEOPLE_HEADER = "key,name,phone,language,roles,home,identities"


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _upload(client: httpx.Client, table: str, data: bytes, name: str = "people.csv",
            **params: str) -> httpx.Response:
    return client.post(f"/api/community/{table}/import", params=params,
                       files={"file": (name, data, "text/csv")})


def test_a_new_grid_member_gets_the_next_ticket(service: ConversationService,
                                                login: Login) -> None:
    admin = login("admin_a")
    person = admin.get("/api/community/people/wang_fang").json()
    assert person["phone"] == "13800010002"  # a single row is shown in full

    phone = admin.put("/api/community/people/wang_fang",
                      json={**person, "phone": "13800019999"})
    grid = admin.put("/api/community/grids/G1", json={
        "code": "G1", "name": "第一网格", "grid_member": "wang_fang", "supervisor": "li_na"})

    assert phone.status_code == 200 and phone.json()["counts"]["changed"] == 1
    assert grid.status_code == 200 and grid.json()["changes"][0]["fields"] == ["grid_member"]
    listed = admin.get("/api/community/people", params={"q": "王芳"}).json()["items"]
    assert [p["phone"] for p in listed] == ["138****9999"]  # masked in lists
    talker(service, "wang_aiyi")("3号楼2单元501厨房水管漏水了")
    with service.sessions() as session:
        ticket = session.scalar(select(Ticket).order_by(Ticket.id.desc()))
        assert ticket is not None and ticket.assignee is not None
        assert ticket.assignee.name == "王芳"
        told = session.scalars(select(OutboxMessage.chat_id).where(
            OutboxMessage.text.contains(ticket.number))).all()
        assert "wang_fang" in told and "zhang_wei" not in told
        wang = find_person(session, "wang_fang")
        assert wang is not None and wang.phone == "13800019999"
        audited = session.scalars(select(AuditEntry.target).where(
            AuditEntry.action == "community_grids_changed")).all()
        assert audited == ["grids:G1"]


def test_a_bad_row_is_refused_with_its_line_and_nothing_is_written(
        service: ConversationService, login: Login) -> None:
    admin = login("admin_a")
    data = _csv(PEOPLE_HEADER,
                "wang_aiyi,王阿姨,13912349999,zh,resident,3-2-501,",
                "newcomer,新来的,13912340100,zh,resident,99-1-101,",
                "he_dama,何大妈,1391234,zh,resident,1-1-101,")

    for dry_run in ("true", "false"):
        refused = _upload(admin, "people", data, dry_run=dry_run)
        assert refused.status_code == 422
        errors = refused.json()["errors"]
        assert [(e["line"], e["column"]) for e in errors] == [(3, "home"), (4, "phone")]
        assert "99" in errors[0]["message"] and errors[0]["zh"]
        assert refused.json()["applied"] is False
    with service.sessions() as session:
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None and aiyi.phone == "13912340001"
        assert find_person(session, "newcomer") is None
        assert session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("community_people%"))).all() == []
    preview = admin.post("/community/people/import",
                         files={"file": ("people.csv", data, "text/csv")},
                         data={"csrf": admin.headers["X-CSRF-Token"]})
    assert preview.status_code == 422
    assert "confirm-import" not in preview.text and "99-1-101" in preview.text


def test_a_good_import_is_previewed_then_written_and_audited(
        service: ConversationService, login: Login) -> None:
    admin = login("admin_a")
    data = _csv(PEOPLE_HEADER,
                "wang_aiyi,王阿姨,13912349999,zh,resident,3-2-501,telegram:4242",
                "newcomer,新来的,13912340100,en,resident,7-1-101,",
                "li_shushu,李叔叔,13912340002,zh,resident,12-1-302,")

    preview = _upload(admin, "people", data)
    assert preview.status_code == 200
    assert preview.json()["counts"] == {"added": 1, "changed": 1, "unchanged": 1}
    with service.sessions() as session:
        assert find_person(session, "newcomer") is None  # a preview writes nothing
    written = _upload(admin, "people", data, dry_run="false",
                      fingerprint=preview.json()["fingerprint"])

    assert written.status_code == 200 and written.json()["applied"] is True
    with service.sessions() as session:
        newcomer = find_person(session, "telegram:4242")
        assert newcomer is not None and newcomer.name == "王阿姨"
        assert newcomer.phone == "13912349999"
        added = find_person(session, "newcomer")
        assert added is not None and added.household is not None
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("community_%")).order_by(AuditEntry.id)).all()
        assert [(e.username, e.action, e.target) for e in entries] == [
            ("admin_a", "community_people_changed", "people:wang_aiyi"),
            ("admin_a", "community_people_added", "people:newcomer"),
            ("admin_a", "community_import", "people")]
        assert entries[0].details is not None
        assert entries[0].details["before"]["phone"] == "139****0001"
        assert entries[0].details["after"]["phone"] == "139****9999"
    again = _upload(admin, "people", data, dry_run="false",
                    fingerprint=preview.json()["fingerprint"])
    assert again.status_code == 409  # the preview no longer describes the data


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_export_imports_back_with_no_changes(login: Login, kind: str) -> None:
    admin = login("admin_a")
    for table in ("people", "households", "buildings", "grids", "rota"):
        exported = admin.get(f"/api/community/{table}/export", params={"format": kind})
        assert exported.status_code == 200
        if kind == "xlsx":
            sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
            assert sheet.max_row > 1
        back = _upload(admin, table, exported.content, name=f"{table}.{kind}")
        assert back.status_code == 200, back.text
        counts = back.json()["counts"]
        assert counts["added"] == counts["changed"] == 0 and counts["unchanged"] > 0, table


def test_the_pages_edit_with_errors_next_to_the_field(service: ConversationService,
                                                      login: Login) -> None:
    admin = login("admin_a")
    csrf = admin.headers["X-CSRF-Token"]
    listing = admin.get("/community/people", params={"q": "王阿姨"})
    assert listing.status_code == 200 and "139****0001" in listing.text
    assert "13912340001" not in listing.text
    form = {"csrf": csrf, "was": "wang_aiyi", "key": "wang_aiyi", "name": "<b>王阿姨</b>",
            "phone": "not a phone", "language": "zh", "roles": "resident",
            "home": "3-2-501", "identities": ""}
    wrong = admin.post("/community/people/edit", data=form)
    assert wrong.status_code == 422
    assert 'data-field="phone"' in wrong.text and "&lt;b&gt;王阿姨&lt;/b&gt;" in wrong.text
    saved = admin.post("/community/people/edit", data={**form, "phone": "13912345678"})
    assert saved.status_code == 303
    with service.sessions() as session:
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None and (aiyi.name, aiyi.phone) == ("<b>王阿姨</b>", "13912345678")
    overview = admin.get("/community")
    assert overview.status_code == 200
    assert "people:wang_aiyi" in overview.text and "name, phone" in overview.text
    no_token = admin.post("/community/people/edit", data={**form, "csrf": ""},
                          headers={"X-CSRF-Token": ""})
    assert no_token.status_code == 403


def test_removing_keeps_what_others_refer_to(service: ConversationService,
                                             login: Login) -> None:
    admin = login("admin_a")
    talker(service, "wang_aiyi")("3号楼2单元501厨房水管漏水了")
    assert admin.delete("/api/community/people/zhang_wei").status_code == 409  # grid G1's
    assert admin.delete("/api/community/buildings/3").status_code == 409
    assert admin.delete("/api/community/people/wang_aiyi").json()["outcome"] == "deactivated"
    assert admin.post("/api/community/people", json={
        "key": "visitor", "name": "访客", "roles": "resident"}).status_code == 201
    assert admin.delete("/api/community/people/visitor").json()["outcome"] == "deleted"
    with service.sessions() as session:
        aiyi = find_person(session, "wang_aiyi")
        assert aiyi is not None and aiyi.roles == []
        assert session.scalar(select(Ticket.reporter_id)) == aiyi.id
        assert find_person(session, "visitor") is None


def test_only_admins_use_community_data(base_url: str, login: Login,
                                        service: ConversationService) -> None:
    for name in ("zhao_min", "anna_op", "sun_li"):
        client = login(name)
        assert client.get("/api/community/people").status_code == 403
        assert client.put("/api/community/grids/G1", json={
            "code": "G1", "name": "x", "grid_member": name}).status_code == 403
        assert client.get("/community").status_code == 403
    with httpx.Client(base_url=f"{base_url}/console") as stranger:
        assert stranger.get("/api/community/people").status_code == 401
        assert stranger.get("/community").status_code == 303
        # a resident is a person, not a console account: there is nothing to log in to
        assert stranger.post("/login", data={"username": "wang_aiyi",
                                             "password": PASSWORD}).status_code == 401
    with service.sessions() as session:
        resident = find_person(session, "wang_aiyi")
        assert resident is not None and resident.name == "王阿姨"  # a person, no account
        refusals = session.scalars(select(AuditEntry.username).where(
            AuditEntry.action == "refused")).all()
        assert sorted(set(refusals)) == ["anna_op", "sun_li", "zhao_min"]
