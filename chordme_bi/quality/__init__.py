"""Data quality, quarantine reconciliation and privacy (retention, erasure) for the ChordMe warehouse.

Pure domain code (no Dagster): ``assets/quality_checks.py`` and ``assets/privacy.py`` wire it. Great
Expectations is imported only inside :mod:`chordme_bi.quality.runner` functions (it takes seconds to import).
"""
