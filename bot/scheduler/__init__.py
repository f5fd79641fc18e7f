"""Scheduled work: deadlines and escalation, satisfaction polls, notices, event reminders and
the daily digest, run by APScheduler on one leader process (see docs/scheduler.md)."""
