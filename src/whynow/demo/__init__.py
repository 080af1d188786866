"""`whynow demo`'s company (SPEC §6): a realistic synthetic company written as the data contract's tables.

generate.py    generate_demo_data(folder, seed=…) -> rows written per table
vocabulary.py  the names, titles, industries, tools and frequencies it draws from
"""

from __future__ import annotations

from whynow.demo.generate import DEMO_AS_OF, generate_demo_data

__all__ = ["DEMO_AS_OF", "generate_demo_data"]
