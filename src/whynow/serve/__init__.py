"""The dashboard and JSON API (SPEC §8): `whynow serve`."""
