"""Delivery of scheduled reports (email, webhook), the data export, and their audit trail in ``ops.*``.

Pure Python, no Dagster: ``assets/delivery.py`` and ``sensors/scheduled_reports.py`` are thin wrappers.
"""
