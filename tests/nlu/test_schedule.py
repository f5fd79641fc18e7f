import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from nlu.schedule import Schedule, describe, parse_schedule

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)  # a Tuesday


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize("text", [
    "now", "right now", "立即", "马上", "现在", "立刻发", "send now", "Now!", "现在发送",
])
def test_now(text: str) -> None:
    schedule = parse_schedule(text, NOW)
    assert schedule == Schedule()
    assert schedule.immediate


ONE_OFF = [
    ("2026-12-07 08:00", at(12, 7, 8)),
    ("2026/12/7 8:00", at(12, 7, 8)),
    ("2026年12月7日 8:00", at(12, 7, 8)),
    ("12-07 08:00", at(12, 7, 8)),
    ("12/7 8:00", at(12, 7, 8)),
    ("12月7日 8点", at(12, 7, 8)),
    ("12月7号早上8点", at(12, 7, 8)),
    ("十二月七日八点", at(12, 7, 8)),
    ("明天8点", at(12, 2, 8)),
    ("明天上午9:30", at(12, 2, 9, 30)),
    ("明天8点15分", at(12, 2, 8, 15)),
    ("明早8点", at(12, 2, 8)),
    ("明晚7点", at(12, 2, 19)),
    ("后天下午3点", at(12, 3, 15)),
    ("今晚8点", at(12, 1, 20)),
    ("今晚12点", at(12, 2, 0)),  # midnight at the end of today
    ("请在明天早上8点发送", at(12, 2, 8)),
    ("tomorrow 8am", at(12, 2, 8)),
    ("tomorrow at 9:30", at(12, 2, 9, 30)),
    ("tmrw 8", at(12, 2, 8)),
    ("tomorow 8am", at(12, 2, 8)),
    ("tomorrow morning at 9", at(12, 2, 9)),
    ("tomorrow noon", at(12, 2, 12)),
    ("8:00 tomorrow", at(12, 2, 8)),
    ("on 7 Dec 08:00", at(12, 7, 8)),
    ("Dec 7 8:00", at(12, 7, 8)),
    ("Dec 7th 8am", at(12, 7, 8)),
    ("7 december 2027 8:00", at(12, 7, 8, year=2027)),
    ("1月5日 9点", at(1, 5, 9, year=2027)),  # no year: the nearest 5 January
    ("周五下午2点", at(12, 4, 14)),
    ("this friday 2pm", at(12, 4, 14)),
    ("星期天9点", at(12, 6, 9)),
    ("周二11点", at(12, 1, 11)),  # today is Tuesday and 11:00 is still ahead
    ("周二9点", at(12, 8, 9)),  # 9:00 has passed today: next Tuesday
    ("周三三点", at(12, 2, 3)),  # 周三 + 三点, not 周三三
    ("下周一8点", at(12, 7, 8)),
    ("next monday 8am", at(12, 7, 8)),
    ("next friday 9am", at(12, 11, 9)),  # next week's Friday, not the coming one
    ("下下周一8点", at(12, 14, 8)),
    ("in 2 hours", at(12, 1, 12)),
    ("in half an hour", at(12, 1, 10, 30)),
    ("2小时后", at(12, 1, 12)),
    ("30分钟后", at(12, 1, 10, 30)),
    ("半小时后", at(12, 1, 10, 30)),
    ("8点", at(12, 2, 8)),  # a time alone: the next such moment
    ("20:00", at(12, 1, 20)),
    ("8pm", at(12, 1, 20)),
    ("12pm", at(12, 1, 12)),
    ("12am", at(12, 2, 0)),
    ("noon", at(12, 1, 12)),
    ("at 8 in the evening", at(12, 1, 20)),
    ("中午12点", at(12, 1, 12)),
    ("凌晨2点", at(12, 2, 2)),
    ("下午15点", at(12, 1, 15)),
    ("8点半", at(12, 2, 8, 30)),
    ("八点", at(12, 2, 8)),
    ("十点半", at(12, 1, 10, 30)),
    ("下午三点", at(12, 1, 15)),
    ("１２月７日　８：００", at(12, 7, 8)),  # full-width digits and spaces
]


@pytest.mark.parametrize(("text", "moment"), ONE_OFF)
def test_one_off(text: str, moment: dt.datetime) -> None:
    schedule = parse_schedule(text, NOW)
    assert schedule == Schedule(at=moment)
    assert schedule.at is not None and schedule.at.tzinfo is TZ
    assert not schedule.immediate


RECURRING = [
    ("every Monday 8:00", "0 8 * * mon"),
    ("每周一8点", "0 8 * * mon"),
    ("每周一早上八点", "0 8 * * mon"),
    ("每个星期一 8:00", "0 8 * * mon"),
    ("weekly on mon 8am", "0 8 * * mon"),
    ("每个礼拜天上午10点", "0 10 * * sun"),
    ("every wednsday 9am", "0 9 * * wed"),
    ("每周三三点", "0 3 * * wed"),
    ("every day 7:30", "30 7 * * *"),
    ("每天7点半", "30 7 * * *"),
    ("daily 07:30", "30 7 * * *"),
    ("evry day 8am", "0 8 * * *"),
    ("weekdays 8am", "0 8 * * mon-fri"),
    ("工作日早上8点", "0 8 * * mon-fri"),
    ("每周一到周五 8点", "0 8 * * mon-fri"),
    ("every mon to fri 8am", "0 8 * * mon-fri"),
    ("every weekend 10am", "0 10 * * sat,sun"),
    ("每周末10点", "0 10 * * sat,sun"),
    ("every month on the 1st at 9", "0 9 1 * *"),
    ("每月1号9点", "0 9 1 * *"),
    ("每月1日上午9点", "0 9 1 * *"),
    ("每月15号晚上8点", "0 20 15 * *"),
    ("每周一三五 18:00", "0 18 * * mon,wed,fri"),
    ("每周一、三、五 8点", "0 8 * * mon,wed,fri"),
    ("every mon, wed and fri 6pm", "0 18 * * mon,wed,fri"),
    ("cron 0 8 * * 1", "0 8 * * mon"),
    ("0 8 * * 1", "0 8 * * mon"),
    ("0 8 * * 0", "0 8 * * sun"),  # crontab's Sunday is 0 (APScheduler's 0 is Monday)
    ("0 8 * * 7", "0 8 * * sun"),
    ("0 8 * * 1-5", "0 8 * * mon-fri"),
    ("0 8 * * 6,0", "0 8 * * sat,sun"),
    ("0 8 * * FRI-SUN", "0 8 * * fri-sun"),
    ("cron 30 7 * * *", "30 7 * * *"),
    ("*/15 9-17 * * 1-5", "*/15 9-17 * * mon-fri"),
]


@pytest.mark.parametrize(("text", "cron"), RECURRING)
def test_recurring(text: str, cron: str) -> None:
    assert parse_schedule(text, NOW) == Schedule(cron=cron)


@pytest.mark.parametrize(("text", "cron"), RECURRING)
def test_every_cron_is_accepted_by_apscheduler(text: str, cron: str) -> None:
    trigger = CronTrigger.from_crontab(cron, timezone=TZ)
    assert trigger.get_next_fire_time(None, NOW) >= NOW  # fires, and never in the past


@pytest.mark.parametrize(("text", "first"), [
    ("每周一8点", at(12, 7, 8)),
    ("0 8 * * 1", at(12, 7, 8)),  # a Monday, not APScheduler's own reading of 1 (Tuesday)
    ("工作日早上8点", at(12, 2, 8)),
    ("每月1号9点", at(1, 1, 9, year=2027)),
    ("every weekend 10am", at(12, 5, 10)),
])
def test_next_fire_time_is_what_a_person_expects(text: str, first: dt.datetime) -> None:
    schedule = parse_schedule(text, NOW)
    assert schedule is not None and schedule.cron is not None
    trigger = CronTrigger.from_crontab(schedule.cron, timezone=TZ)
    assert trigger.get_next_fire_time(None, NOW) == first


@pytest.mark.parametrize("text", [
    "2026-11-30 08:00",  # in the past
    "今天9点",  # earlier today
    "这周一8点",  # this week's Monday was yesterday
    "every monday", "每周一", "daily",  # a recurrence needs a time of day
    "明天", "12月7日", "send it tomorrow",  # so does a one-off day
    "8",  # a bare number is not a time without a day to anchor it
    "2月30日 8点", "25点", "上午15点", "8:75",
    "明天 后天 8点", "每天 每周一 8点", "now tomorrow 8am", "每周一 明天8点",
    "every 2 hours", "in 0 minutes", "in 99999 hours",
    "cron 0 25 * * *", "cron 0 8 * * 8", "0 8 1 * mon",  # 1st-of-month-or-Monday: ambiguous
    "0 8 * * 5-1",
    "", "   ", "hello", "电梯坏了", "👍", "🎉🎉🎉", "8点 电梯坏了", "tmrw 8 hello",
    "x" * 10_000, "明天8点" * 2_500,
])
def test_not_understood(text: str) -> None:
    assert parse_schedule(text, NOW) is None


def test_other_timezones_are_kept() -> None:
    london = ZoneInfo("Europe/London")
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=london)
    assert parse_schedule("明天8点", now) == Schedule(at=dt.datetime(2026, 12, 2, 8, tzinfo=london))


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("明天8点", NOW.replace(tzinfo=None))


def test_schedule_is_one_kind_only() -> None:
    assert Schedule().immediate
    assert not Schedule(cron="0 8 * * mon").immediate
    with pytest.raises(ValueError, match="not both"):
        Schedule(at=NOW, cron="0 8 * * mon")


@pytest.mark.parametrize(("schedule", "zh", "en"), [
    (Schedule(), "现在", "now"),
    (Schedule(at=at(12, 7, 8)), "12月7日 08:00", "7 Dec 08:00"),
    (Schedule(at=at(1, 5, 19, 5, year=2027)), "1月5日 19:05", "5 Jan 19:05"),
    (Schedule(cron="0 8 * * mon"), "每周一 08:00", "every Monday 08:00"),
    (Schedule(cron="0 18 * * mon,wed,fri"), "每周一、三、五 18:00",
     "every Monday, Wednesday and Friday 18:00"),
    (Schedule(cron="30 7 * * *"), "每天 07:30", "every day 07:30"),
    (Schedule(cron="0 9 1 * *"), "每月1日 09:00", "on day 1 of every month 09:00"),
    (Schedule(cron="0 8 * * mon-fri"), "工作日 08:00", "weekdays 08:00"),
    (Schedule(cron="0 10 * * sat,sun"), "每周末 10:00", "every weekend 10:00"),
    (Schedule(cron="0 8 * * fri-sun"), "每周五、六、日 08:00",
     "every Friday, Saturday and Sunday 08:00"),
    (Schedule(cron="*/15 9-17 * * mon-fri"), "定时 */15 9-17 * * mon-fri",
     "cron */15 9-17 * * mon-fri"),
])
def test_describe(schedule: Schedule, zh: str, en: str) -> None:
    assert describe(schedule, "zh") == zh
    assert describe(schedule, "zh-CN") == zh
    assert describe(schedule, "en") == en


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("每周一8点", "每周一 08:00", "every Monday 08:00"),
    ("明天8点", "12月2日 08:00", "2 Dec 08:00"),
    ("weekdays 8am", "工作日 08:00", "weekdays 08:00"),
    ("立即", "现在", "now"),
])
def test_describe_what_was_parsed(text: str, zh: str, en: str) -> None:
    schedule = parse_schedule(text, NOW)
    assert schedule is not None
    assert (describe(schedule, "zh"), describe(schedule, "en")) == (zh, en)
