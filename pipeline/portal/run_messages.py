"""What a failed run tells whom: editors read a plain sentence naming who can fix it;
the command that fixes it is for administrators (the portal's admin view, the CLI, logs).

A run file keeps its message per UI language (``vi``, ``en``: what editors read) and, when
an administrator needs more, the full message under ``admin.<lang>``."""

from __future__ import annotations

from pipeline.core.errors import CaunoiError, ModelMissingError
from pipeline.core.i18n import UI_LANGUAGES, t
from pipeline.core.runs import RunInfo

__all__ = ["ADMIN", "failure_messages", "message_for", "plain_messages", "said_to"]

#: The prefix of a run message kept for administrators only.
ADMIN = "admin."
#: Errors whose sentence tells an administrator what to run -> what editors read instead
#: (any other error whose sentence names a ``caunoi`` command or a command-line option such
#: as ``--force``: ``portal.run_failed``).
_FOR_EDITORS = {"errors.manifest_invalid": "portal.run_again_editor",
                "errors.source_changed": "portal.run_again_editor"}


def plain_messages(key: str, detail: str = "", **values: object) -> dict[str, str]:
    """Catalogue entry ``key`` in every UI language (what editors read) and, when there is
    one, ``detail`` for administrators under ``admin.<lang>``."""
    said = {lang: t(key, lang, **values) for lang in UI_LANGUAGES}
    return said | ({ADMIN + lang: detail for lang in UI_LANGUAGES} if detail else {})


def failure_messages(error: CaunoiError) -> dict[str, str]:
    """A failed run's messages by UI language: the error's own sentence, or, when it tells
    an administrator what to run (a missing model) or which setting to raise (an input over
    a limit), a plain sentence for editors and the error's sentence under ``admin.<lang>``."""
    said = {lang: error.message(lang) for lang in UI_LANGUAGES}
    if isinstance(error, ModelMissingError):
        plain = plain_messages("portal.model_missing_editor",
                               name=str(error.context.get("name", "")))
    elif error.key in _FOR_EDITORS:
        plain = plain_messages(_FOR_EDITORS[error.key])
    elif error.plain_key:  # names a setting (an input over a limit): who raises it
        plain = {lang: error.plain(lang) for lang in UI_LANGUAGES}
    elif any("caunoi " in text or " --" in text for text in said.values()):
        plain = plain_messages("portal.run_failed")
    else:
        return said
    return plain | {ADMIN + lang: text for lang, text in said.items()}


def message_for(run: RunInfo, ui: str, admin: bool) -> str:
    """The run's message for one reader: an administrator's own message when there is
    one and the reader is an administrator, else the one every editor reads."""
    if admin and ADMIN + ui in run.messages:
        return run.messages[ADMIN + ui]
    return run.messages.get(ui, run.message)


def said_to(error: CaunoiError, ui: str, admin: bool) -> str:
    """What a portal page shows of a refused input: an editor reads the error's plain
    sentence (an input over a limit: who raises it), an administrator its own sentence
    (the setting that raises it), as in a failed run's messages."""
    return error.message(ui) if admin else error.plain(ui)
