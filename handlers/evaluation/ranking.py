"""Ranks within a group (all districts; the streets of one district; the communities of one street;
all departments), highest composite first. Equal composites share a rank and the next rank skips
(1, 2, 2, 4); a unit with nothing to rate has no rank. Shown as "3 / 6": the rank and how many
units the group ranks."""


def ranks(values):
    """{key: (rank or None, ranked in the group)} for {key: composite or None}."""
    rated = sorted((v for v in values.values() if v is not None), reverse=True)
    first = {}
    for place, value in enumerate(rated, 1):
        first.setdefault(value, place)
    return {key: (first.get(value) if value is not None else None, len(rated)) for key, value in values.items()}


def text(rank, of):
    return f"{rank} / {of}" if rank is not None else f"— / {of}"
