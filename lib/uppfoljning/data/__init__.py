"""The data layer: the raw-data contract, ingest into Parquet, and the parameter files.

Imports nothing else from uppfoljning: every other package builds on it.
"""
