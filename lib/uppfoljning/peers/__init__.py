"""Peer comparisons (R9): the peer-group catalogue, the Kolada API client with its offline cache,
the peer group's key figures (pure analyses) and the R9 report facade over its parts."""
