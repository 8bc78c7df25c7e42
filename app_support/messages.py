"""Errors and data-check findings as the user reads them: in their language, without server paths.

The wording comes from :mod:`planning.problem_texts` (Chinese of every message of the importer
and the engine); this module adds what only the app knows: the session's upload folders are not
shown (a folder named by a hash means nothing to a planner), and advice meant for the command
line names the control of the app instead.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from app_support import state
from app_support.i18n import t, translate_columns
from planning import problem_texts

# The upload folders are named by 16 hex digits of their content hash (app_support.uploads).
_HASH_FOLDER = re.compile(r"[0-9a-f]{16}")
_CLI_COORDS = re.compile(r'say so: coords = "(?P<code>\w+)" in dataset\.toml, or the --coords (?P=code) option')


def shown_file(file: str | None, lang: str) -> str | None:
    """A file name as the user knows it: relative to the upload, never a server path."""
    if not file:
        return file
    text = str(file)
    root = str(state.SESSION_ROOT)
    if text.startswith(root):
        # …/<token>/uploads/<hash>/communities.csv → communities.csv
        parts = text[len(root):].strip("/").split("/")
        text = "/".join(parts[3:]) if len(parts) > 3 else ""
    if not text or _HASH_FOLDER.fullmatch(text):
        return t("msg.uploaded_files", lang)
    return text


def error_text(exc: BaseException, lang: str, *, file: str | None = None) -> str:
    """The message of ``exc`` in ``lang``; ``file`` names the file when the error does not."""
    if not hasattr(exc, "problem"):
        return _without_server_paths(problem_texts.error_text(exc, lang))
    shown = file or shown_file(getattr(exc, "file", None), lang)
    if lang == "en":
        where = problem_texts.where_text(file=shown, layer=getattr(exc, "layer", None),
                                         column=getattr(exc, "column", None), lang="en")
        fix = getattr(exc, "fix", None)
        text = ((where + ": " if where else "") + str(exc.problem).rstrip(".") + "."
                + (" " + _app_advice(fix, lang).rstrip(".") + "." if fix else ""))
    else:
        copy = type(exc).__new__(type(exc))
        copy.__dict__.update(exc.__dict__, file=shown)
        text = problem_texts.error_text(copy, lang)
    return _without_server_paths(text)


def error_message(exc: BaseException, lang: str, *, file: str | None = None) -> str:
    """``出错了：…`` / ``Error: …`` with the message of ``exc``."""
    return t("msg.error", lang, message=error_text(exc, lang, file=file))


def _without_server_paths(text: str) -> str:
    """Library messages quote whole paths: keep only the part the user uploaded."""
    pattern = re.escape(str(state.SESSION_ROOT)) + r"/[^/\s]+/[^/\s]+/(?:[0-9a-f]{16}/?)?"
    return re.sub(pattern, "", text)


def problems_frame(problems: list[Any], lang: str) -> pd.DataFrame:
    """The data check's findings as a table with headers and words in ``lang``."""
    rows = []
    for problem in problems:
        row = problem_texts.problem_row(problem, lang)
        row["file"] = shown_file(row["file"], lang)
        row["message"] = _without_server_paths(_app_advice(row["message"], lang))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["severity", "layer", "file", "column", "count", "message"])
    return translate_columns(frame, lang)


def _app_advice(text: str, lang: str) -> str:
    """Advice written for ``dataset.toml`` and the command line, pointed at the app's own control."""
    if lang != "en":
        return text
    return _CLI_COORDS.sub(lambda m: t("msg.coords_advice", lang, code=m.group("code")), text)
