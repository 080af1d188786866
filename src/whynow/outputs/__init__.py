"""The outputs of a run (SPEC §5): `contract.py` names every table and column with its type; `queries.py`
selects them from the pipeline's tables."""
