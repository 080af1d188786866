"""CRM imports through the CRM's API (SPEC §12, "Through the API"): the same objects as an export, fetched
into the shape an export has, then shaped, placed and written by the export's own code and mapping."""
