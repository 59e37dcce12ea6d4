"""Custom dashboards: custom_dashboards rows to self-contained HTML pages, written per their sharing.

spec (parse, validate) -> compile (whitelisted SQL over the marts) -> render (HTML) -> publish (files).
"""
