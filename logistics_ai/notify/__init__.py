"""Outbound messages: email (SMTP or a local file sink), SMS (HTTP provider), templates.

`mail.send_email` is the one way the app sends an email; password resets and customer
notifications both use it. Nothing here touches the database: the outbox and its worker
live in `logistics_ai.services.notifications` and `logistics_ai.jobs.notifications`.
"""
