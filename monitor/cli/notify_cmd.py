"""`monitor digest` and `monitor outbox`: queue and send digests by hand; see what mail is owed."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.cli.context import cli_context, command_config_option, fail_usage
from monitor.cli.output import dumps, iso, short_time
from monitor.config import Settings
from monitor.records import OutboxRow

if TYPE_CHECKING:
    from monitor.notify.digest import DigestOutcome

OUTBOX_STATUSES = ("pending", "sent", "failed")


def register(group: click.Group) -> None:
    group.add_command(digest)
    group.add_command(outbox)


@click.command()
@click.option("--now", "now_flag", is_flag=True, help="For the period ending now, even if not due.")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="The local day of the digest (default: today in digest.timezone).",
)
@click.option(
    "--recipient", "recipients", multiple=True, metavar="ADDR",
    help="Only this recipient (repeatable; default: [digest] recipients).",
)
@click.option("--force", is_flag=True, help="Queue another digest even if that day's was sent.")
@command_config_option
@click.pass_context
def digest(
    ctx: click.Context,
    now_flag: bool,
    day: datetime | None,
    recipients: tuple[str, ...],
    force: bool,
) -> None:
    """Build and send the digest(s) that are due; once per recipient per day unless --force."""
    from monitor.notify.digest import enqueue_for
    from monitor.notify.mailer import mailer_for
    from monitor.notify.sender import send_due
    from monitor.runtime import utc_now

    obj = cli_context(ctx)
    settings = obj.settings()
    targets = recipients or settings.digest.recipients
    if not targets:
        fail_usage(["no digest recipients: set [digest] recipients or pass --recipient"])
    store = obj.store()
    now = utc_now()
    for recipient in targets:
        outcome = enqueue_for(
            store, settings, recipient, now,
            day=day.date() if day else None, force=force, ignore_time=now_flag,
        )
        click.echo(_outcome_line(recipient, outcome, settings))
    mailer = mailer_for(settings.email, settings.worker.lease_s)
    report = send_due(store, mailer, settings, now, kinds=("digest",))
    click.echo(f"sent {report.sent} digest(s)" + _trouble(report.retried, report.failed))
    if report.retried or report.failed:
        sys.exit(1)


def _outcome_line(recipient: str, outcome: DigestOutcome | None, settings: Settings) -> str:
    if outcome is None:
        d = settings.digest
        return f"{recipient}: not due yet (at {d.time} {d.timezone}; --now to build it anyway)"
    day = outcome.day.isoformat()
    if outcome.outbox_id is None:
        return f"{recipient} {day}: already queued (--force for another)"
    return f"{recipient} {day}: queued as outbox #{outcome.outbox_id} ({outcome.stories} stories)"


def _trouble(retried: int, failed: int) -> str:
    parts = [f"{retried} will be retried" if retried else "", f"{failed} failed" if failed else ""]
    text = ", ".join(p for p in parts if p)
    return f"; {text} (see `monitor outbox`)" if text else ""


def row_summary(row: OutboxRow) -> str:
    """A one-line description of what the row is about."""
    p = row.payload
    if row.kind == "alert":
        return f"{p.get('rule', '')}: {p.get('title', '')}"
    if row.kind == "digest":
        return str(p.get("subject", ""))
    return f"{p.get('feed_name', '')}: {p.get('event', '')}"


def outbox_json(row: OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "recipient": row.recipient,
        "status": row.status,
        "attempts": row.attempts,
        "created_at": iso(row.created_at),
        "next_attempt_at": iso(row.next_attempt_at),
        "sent_at": iso(row.sent_at),
        "last_error": row.last_error,
        "message_id": row.message_id,
        "dedupe_key": row.dedupe_key,
        "summary": row_summary(row),
    }


def outbox_table(rows: list[OutboxRow]) -> Table:
    table = Table(title=f"{len(rows)} outbox rows (newest first)")
    for name in ("id", "kind", "recipient", "status", "tries", "next / sent", "about", "error"):
        table.add_column(name, overflow="fold")
    for r in rows:
        when = short_time(r.sent_at) if r.status == "sent" else short_time(r.next_attempt_at)
        style = {"failed": "red", "pending": "yellow"}.get(r.status, "")
        status = f"[{style}]{r.status}[/]" if style else r.status
        table.add_row(
            str(r.id), r.kind, escape(r.recipient), status, str(r.attempts), when,
            escape(row_summary(r)), escape(r.last_error or ""),
        )
    return table


@click.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), default=None, help="Only these.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option(
    "--retry", "retry_ids", multiple=True, type=int, metavar="ID",
    help="Send these failed rows again (repeatable), e.g. after fixing the SMTP settings.",
)
@command_config_option
@click.pass_context
def outbox(
    ctx: click.Context, as_json: bool, status: str | None, limit: int, retry_ids: tuple[int, ...]
) -> None:
    """Outbox rows: alerts, digests and feed reports with status, attempts and last error."""
    store = cli_context(ctx).store()
    if retry_ids:
        from monitor.runtime import utc_now

        requeued = store.requeue_outbox(list(retry_ids), utc_now())
        click.echo(f"requeued {requeued} of {len(retry_ids)} row(s) (only failed rows are)",
                   err=as_json)
    rows = store.list_outbox(status=status, limit=limit)
    if as_json:
        click.echo(dumps([outbox_json(r) for r in rows]))
        return
    Console().print(outbox_table(rows))
