"""Validation layer: pydantic models checked while the JSON streams in (:class:`ModelParser`)."""
