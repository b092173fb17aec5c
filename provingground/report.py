"""The proving ground's tables: one per scenario, then the line to compare run to run."""

from __future__ import annotations

from provingground.outcome import PROBLEMS, Outcome

SHOWN_PER_PROBLEM = 5


def table(title: str, outcome: Outcome, seconds: float) -> str:
    rows = {
        "flows": outcome.flows,
        "faults injected": outcome.faults,
        "lost": len(outcome.lost),
        "duplicated": len(outcome.duplicated),
        "server errors": len(outcome.server_errors),
        "stuck": len(outcome.stuck),
        "violations (schema, code past its life)": len(outcome.violations),
        '503 "try again" answers': outcome.answers.get("503", 0),
        '429 "try again in …" answers': outcome.answers.get("429", 0),
        'screens saying "We could not send…"': outcome.answers.get("could not send", 0),
        "connections that failed": outcome.answers.get("connection", 0),
        "sends retried (at least once)": outcome.retried_sends,
        **outcome.figures,
        "took": f"{seconds:.0f} s",
    }
    width = max(len(name) for name in rows)
    lines = [title, "-" * len(title)] + [f"  {name.ljust(width)}  {value}" for name, value in rows.items()]
    for name in PROBLEMS:
        problems = getattr(outcome, name)
        lines += [f"  ! {name.replace('_', ' ')}: {problem}" for problem in problems[:SHOWN_PER_PROBLEM]]
        if len(problems) > SHOWN_PER_PROBLEM:
            lines.append(f"  ! ... and {len(problems) - SHOWN_PER_PROBLEM} more")
    return "\n".join(lines) + "\n"
