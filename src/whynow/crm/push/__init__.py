"""`whynow push` (SPEC §12): a run's results written onto the CRM's own records."""
