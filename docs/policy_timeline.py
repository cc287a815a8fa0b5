"""Draws docs/images/policy-timeline.svg: which reports of a failing night each ``notify`` setting sends.

Run it from the repository root after changing the policy or the picture::

    python docs/policy_timeline.py            # writes docs/images/policy-timeline.svg
    python docs/policy_timeline.py --check    # exits with 1 when the file is out of date

The events are not drawn by hand: :func:`timeline` asks the policy's own decision
function about each report in turn, so the picture shows what the code does
(tests/test_docs_timeline.py fails when the committed picture differs).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "images" / "policy-timeline.svg"

#: The night the picture tells: (minutes after 01:00, result). A task that runs every ten
#: minutes or so starts failing at 02:00, gets worse, stays down past the reminder interval,
#: limps on with errors and is fixed at 04:10.
NIGHT: tuple[tuple[int, str], ...] = (
    (0, "ok"),
    (60, "errors"),
    (70, "failed"),
    (80, "failed"),
    (90, "failed"),
    (140, "failed"),
    (150, "errors"),
    (190, "ok"),
)

#: The handler settings drawn, one row each (every handler has ``"level": "errors"``).
SETTINGS: tuple[tuple[str, dict[str, str]], ...] = (
    ('notify: "every"', {"notify": "every"}),
    ('notify: "change"', {"notify": "change"}),
    ('notify: "change", remind_every: "1h"', {"notify": "change", "remind_every": "1h"}),
)
LEVEL = "errors"

COLOURS = {"ok": "#2e7d32", "warnings": "#f0a202", "errors": "#c62828", "failed": "#4a0d0d"}
SENT = "#1565c0"
QUIET = "#9e9e9e"


@dataclass(frozen=True)
class Cell:
    """What one handler did with one report: ``event`` sent, or a ``skipped`` record, or nothing."""

    event: str | None
    skipped: bool = False


#: (handler settings, the night's results and times) -> one Cell per report.
Decide = Callable[[dict[str, str], Sequence[tuple[datetime.datetime, str]]], list[Cell]]


def night_reports(start: datetime.datetime) -> list[tuple[datetime.datetime, str]]:
    return [(start + datetime.timedelta(minutes=minutes), result) for minutes, result in NIGHT]


def timeline(decide: Decide, start: datetime.datetime) -> list[tuple[str, list[Cell]]]:
    """Each setting's row of cells, as ``decide`` judges the night's reports."""
    reports = night_reports(start)
    return [(label, decide({"level": LEVEL, **options}, reports)) for label, options in SETTINGS]


# -- drawing -------------------------------------------------------------------------------------

LEFT = 300  # the settings' labels
COLUMN = 96
TOP = 92  # the times and results above the rows
ROW = 64


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{escape(value)}"' for key, value in attrs.items())
    return f'<text x="{x:g}" y="{y:g}"{extra}>{escape(text)}</text>'


def draw(rows: list[tuple[str, list[Cell]]], start: datetime.datetime) -> str:
    """The SVG document (deterministic: the same rows give the same bytes)."""
    reports = night_reports(start)
    width = LEFT + COLUMN * len(reports) + 16
    height = TOP + ROW * len(rows) + 64
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="13">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        _text(
            16,
            26,
            f'A night of reports, and what a handler with "level": "{LEVEL}" sends',
            font_size="15",
            font_weight="bold",
        ),
        _text(16, 62, "report at", fill="#555555"),
        _text(16, 80, "its result", fill="#555555"),
    ]
    for index, (when, result) in enumerate(reports):
        x = LEFT + COLUMN * index + COLUMN / 2
        out.append(_text(x, 62, f"{when:%H:%M}", text_anchor="middle"))
        out.append(f'<rect x="{x - 34:g}" y="68" width="68" height="18" rx="9" fill="{COLOURS[result]}"/>')
        out.append(
            _text(x, 81, result, text_anchor="middle", fill="#ffffff", font_size="11", font_weight="bold")
        )
    for row_index, (label, cells) in enumerate(rows):
        y = TOP + ROW * row_index
        out.append(f'<line x1="16" y1="{y + 8}" x2="{width - 16}" y2="{y + 8}" stroke="#e0e0e0"/>')
        out.append(_text(16, y + 42, label, font_family="DejaVu Sans Mono, monospace", font_size="12"))
        for index, cell in enumerate(cells):
            x = LEFT + COLUMN * index + COLUMN / 2
            if cell.event is not None:
                out.append(f'<rect x="{x - 42:g}" y="{y + 22}" width="84" height="28" rx="5" fill="{SENT}"/>')
                out.append(
                    _text(x, y + 41, cell.event, text_anchor="middle", fill="#ffffff", font_weight="bold")
                )
            elif cell.skipped:
                out.append(
                    f'<rect x="{x - 42:g}" y="{y + 22}" width="84" height="28" rx="5" fill="none" '
                    f'stroke="{QUIET}" stroke-dasharray="4 3"/>'
                )
                out.append(_text(x, y + 41, "quiet", text_anchor="middle", fill=QUIET))
            else:
                out.append(_text(x, y + 41, "-", text_anchor="middle", fill="#bdbdbd"))
    y = TOP + ROW * len(rows) + 28
    out.append(f'<rect x="16" y="{y - 14}" width="18" height="18" rx="4" fill="{SENT}"/>')
    out.append(_text(40, y, "sent, with its event (the template's event)"))
    out.append(
        f'<rect x="330" y="{y - 14}" width="18" height="18" rx="4" fill="none" stroke="{QUIET}" '
        'stroke-dasharray="4 3"/>'
    )
    out.append(_text(354, y, 'not sent: a "skipped" delivery record says why'))
    out.append(_text(690, y, "-  below the level: not sent, no record", fill="#757575"))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None, decide: Decide | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="Exit with 1 if the committed SVG is out of date."
    )
    args = parser.parse_args(argv)
    start = datetime.datetime(2026, 3, 2, 1, 0)
    svg = draw(timeline(decide or policy_decide(), start), start)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != svg:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python docs/policy_timeline.py")
            return 1
        return 0
    OUTPUT.write_text(svg, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


def policy_decide() -> Decide:
    """The policy's own :func:`~taskmanager.notifications.policy.decide`, judging the night's
    reports in turn from a handler that was told nothing yet (no database: the state is kept
    here, as the database would keep it)."""
    _setup_django()
    from taskmanager.notifications.policy import Policy, State, decide, parse_duration, parse_notify
    from taskmanager.results import Result

    def judge_night(options: dict[str, str], reports: Sequence[tuple[datetime.datetime, str]]) -> list[Cell]:
        remind = options.get("remind_every")
        policy = Policy(
            Result(options["level"]),
            parse_notify("notify", options["notify"]),
            parse_duration("remind_every", remind) if remind else None,
        )
        state, cells = State(), []
        for at, result in reports:
            decision, state = decide(policy, Result(result), at, state)
            sent = decision.event if decision.send else None
            cells.append(Cell(sent, skipped=decision.recorded and not decision.send))
        return cells

    return judge_night


def _setup_django() -> None:
    """The least Django the policy's modules need to import (no database is opened)."""
    import django
    from django.conf import settings

    if not settings.configured:
        sys.path.insert(0, str(ROOT))
        settings.configure(
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "taskmanager"],
            USE_TZ=False,
        )
        django.setup()


if __name__ == "__main__":
    sys.exit(main())
