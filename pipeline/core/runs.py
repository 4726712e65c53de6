"""Runs of the pipeline started from the web app, and their states.

The web app (review pages, content-team portal) never imports Prefect: it is given a
:class:`RunLauncher`. ``flows/`` provides one that starts Prefect deployment runs and reads
their states through the Prefect API (server mode); without a server, an embedded launcher
runs one lesson at a time in a background process, as the CLI does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

__all__ = ["RUN_KINDS", "RUN_STATES", "RunInfo", "RunKind", "RunLauncher", "RunState"]

#: produce: the whole lesson; render: one approved language (its profiles); publish: the
#: approved languages to the distribution target; draft: a draft script from the recording
#: of a lesson handed in without one (on the web app's machine, as a bundle is).
RunKind = Literal["produce", "render", "publish", "draft"]
RUN_KINDS: tuple[RunKind, ...] = ("produce", "render", "publish", "draft")

#: waiting = suspended at the review gate (server mode), queued = accepted, not started.
RunState = Literal["queued", "running", "waiting", "done", "failed", "cancelled"]
RUN_STATES: tuple[RunState, ...] = ("queued", "running", "waiting", "done", "failed",
                                    "cancelled")


@dataclass(frozen=True)
class RunInfo:
    """One run as the pages show it. Times are Unix seconds (UTC)."""

    run_id: str
    kind: RunKind
    lesson_id: str
    state: RunState
    language: str | None = None
    # One line for people (already in the UI language where the launcher can; else the
    # step or error sentence the run reported).
    message: str = ""
    # The same line in each UI language, when the launcher can say it so ({"vi": ..., "en": ...}).
    messages: dict[str, str] = field(default_factory=dict)
    # Per-step progress: step name -> "done" | "running" | "pending" | "failed".
    steps: dict[str, str] = field(default_factory=dict)
    started_at: float | None = None
    ended_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class RunLauncher(Protocol):
    """Starts runs and reports their states (server mode or embedded)."""

    #: "server" (Prefect deployments, any number of workers) or "embedded" (one background
    #: process on the web app's machine).
    mode: str

    def start(self, kind: RunKind, lesson_id: str, *, language: str | None = None,
              params: dict[str, object] | None = None) -> RunInfo:
        """Start a run (or return the active one of the same kind/lesson/language)."""
        ...

    def runs(self, lesson_id: str) -> list[RunInfo]:
        """The lesson's runs, newest first."""
        ...
