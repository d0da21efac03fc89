"""Peer comparisons (R9): the Kolada API client with its offline cache, the peer group's key
figures and the R9 report facade."""
