"""Limits of the importer: how much an archive may unpack to, how large a value may be.

One frozen :class:`InputLimits` holds them; :data:`LIMITS` is the one in force, read once from
the environment so that whoever runs a server can tighten or loosen it without code:

- ``SERVICE_CIRCLES_MAX_UNPACKED_MB``: MiB one archive may unpack to (default 2048);
- ``SERVICE_CIRCLES_MAX_ARCHIVE_FILES``: files in one archive (default 1000).

Examples
--------
>>> InputLimits().max_archive_files
1000
>>> InputLimits(max_unpacked_bytes=100 * 1024**2).max_unpacked_bytes
104857600
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class InputLimits:
    """What the importer accepts before refusing a file as too large or absurd.

    Attributes
    ----------
    max_unpacked_bytes : int
        Bytes that the members of one zip may unpack to, whatever its headers claim.
    max_archive_files : int
        Members (files and folders) of one zip.
    max_expansion_ratio : float
        Unpacked size over packed size, per member and for the whole archive, above which a zip
        is refused as a possible zip bomb (once it unpacks to more than ``bomb_floor_bytes``).
        GIS data compress 3–20-fold; zero-filled padding a thousand-fold.
    bomb_floor_bytes : int
        Below this unpacked size the ratio is not checked (small files compress well).
    max_people_per_feature : float
        Residents (or households) of one community, grid cell or population point; more is a
        typing or unit error (the largest Chinese street has about a million residents).
    max_floor_area_m2 : float
        Floor area or capacity of one facility or candidate.
    max_toml_bytes : int
        Size of ``dataset.toml``.
    """

    max_unpacked_bytes: int = 2 * 1024**3
    max_archive_files: int = 1000
    max_expansion_ratio: float = 100.0
    bomb_floor_bytes: int = 64 * 1024**2
    max_people_per_feature: float = 10_000_000.0
    max_floor_area_m2: float = 10_000_000.0
    max_toml_bytes: int = 1024**2

    @classmethod
    def from_environment(cls) -> InputLimits:
        """Defaults, with the archive limits taken from the environment when set."""
        kwargs: dict[str, int] = {}
        unpacked = os.environ.get("SERVICE_CIRCLES_MAX_UNPACKED_MB", "").strip()
        files = os.environ.get("SERVICE_CIRCLES_MAX_ARCHIVE_FILES", "").strip()
        if unpacked.isdigit():
            kwargs["max_unpacked_bytes"] = int(unpacked) * 1024**2
        if files.isdigit():
            kwargs["max_archive_files"] = int(files)
        return cls(**kwargs)


#: The limits in force (defaults, or the environment's).
LIMITS = InputLimits.from_environment()
