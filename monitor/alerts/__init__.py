"""Alerts: rules decide which incident changes reach whom; an outbox makes delivery exact."""
