"""HVB placements: care days, placements as chains of episodes, privacy suppression, the
commitment forecast, reconciliation with the ledger, and the placement report facade."""
