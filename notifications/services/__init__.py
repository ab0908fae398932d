"""Notification services: planning, sending and remembering what was sent.

- alerts: fan a raised flag out to the care team (inbox, email, webhook); escalation.
- deliveries: send one planned delivery, retry or give up; daily digests.
- inbox, preferences, devices: what the API reads and changes.
- reminders: check-ins after a treatment and the daily reminder, pushed to the phone.
"""
