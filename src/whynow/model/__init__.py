"""The model language: schema, loading, conditions (SPEC §4)."""
