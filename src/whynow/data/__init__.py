"""The data contract: canonical tables, opening a source, validation (SPEC §3)."""
