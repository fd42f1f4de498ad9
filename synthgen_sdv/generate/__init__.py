"""The rule-based engine: a plan in, seeded chunks out; identities recomputed after sampling."""
