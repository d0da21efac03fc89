"""Presentation for every domain: Swedish number formatting (the one formatter), tables as CSV
and display, the one matplotlib style, escaping of text from the data, and `open_period`, the
context a notebook opens. Imports only `uppfoljning.data`.
"""
