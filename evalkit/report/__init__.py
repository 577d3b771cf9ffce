"""All rendering: console tables, markdown reports, comparison and validity reports."""
