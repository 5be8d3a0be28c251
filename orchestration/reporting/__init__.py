"""Recovery reporting: per-seller recovery settings, the weekly recovery report and the invoice.

settings.py   recovery settings in the seller registry, validated, with defaults; the snapshot dbt
              reads (source seller_registry.recovery_settings)
weekly.py     the weekly recovery report (self-contained HTML: inline CSS and SVG)
invoice.py    the invoice per seller and period (HTML and CSV)
charts.py     the SVG charts, drawn here (no CDN, no script)
"""
