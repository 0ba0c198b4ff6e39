"""Alerts: rules decide which incident changes reach whom; an outbox and a dispatcher deliver
them at least once, with an idempotency key (see README.md in this folder)."""
