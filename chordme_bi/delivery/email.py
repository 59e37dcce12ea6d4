"""Email delivery over SMTP: an HTML summary of the report with the rendered report attached."""

from __future__ import annotations

import html
import mimetypes
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from chordme_bi.delivery.webhook import DeliveryResult
from chordme_bi.settings import Settings

TOP_INSIGHTS = 5


def _text(value) -> str:
    return html.escape("" if value is None else str(value))


def _metric(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _insight_text(insight) -> str:
    if isinstance(insight, dict):
        return str(insight.get("message") or insight.get("title") or insight.get("text") or insight)
    return str(insight)


def subject_of(report: dict) -> str:
    summary = report.get("summary") or {}
    config = report.get("config") or {}
    kind = str(summary.get("report_type") or config.get("report_type") or "report").replace("_", " ").title()
    window = f"{config.get('start', '')} – {config.get('end', '')}" if config.get("start") else ""
    return f"ChordMe {kind} report {window}".strip()


def html_body(report: dict) -> str:
    """The mail's HTML: status, key metrics and the top insights. Every value is escaped."""
    summary = report.get("summary") or {}
    metrics = summary.get("key_metrics") or {}
    insights = [_insight_text(i) for i in (report.get("insights") or [])][:TOP_INSIGHTS]
    rows = "".join(
        f"<tr><th align='left'>{_text(str(k).replace('_', ' '))}</th><td align='right'>{_text(_metric(v))}</td></tr>"
        for k, v in metrics.items()
    )
    items = "".join(f"<li>{_text(i)}</li>" for i in insights)
    return (
        "<!doctype html><html><body style='font-family:sans-serif'>"
        f"<h2>{_text(subject_of(report))}</h2>"
        f"<p>Status: <strong>{_text(summary.get('status', ''))}</strong>. {_text(summary.get('message', ''))}</p>"
        + (f"<h3>Key metrics</h3><table cellpadding='4'>{rows}</table>" if rows else "")
        + (f"<h3>Top insights</h3><ul>{items}</ul>" if items else "")
        + f"<p style='color:#666'>Report {_text(report.get('report_id', ''))}, generated {_text(report.get('generated_at', ''))}. "
        "The full report is attached.</p></body></html>"
    )


def build_message(report: dict, attachments: dict[str, bytes], *, sender: str, to: str) -> EmailMessage:
    """``attachments``: file name -> content (every file render() produced: several for CSV)."""
    message = EmailMessage()
    message["Subject"] = subject_of(report)
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="chordme-bi")
    message.set_content("This report is best read in an HTML mail client. The full report is attached.")
    message.add_alternative(html_body(report), subtype="html")
    for name, content in attachments.items():
        mime, _ = mimetypes.guess_type(name)
        maintype, subtype = (mime or "application/octet-stream").split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def send(message: EmailMessage, settings: Settings, *, password: str | None = None,
         timeout: float | None = None) -> DeliveryResult:
    """Send over SMTP per settings (none / starttls / ssl; login when smtp_user is set). Never raises for a
    delivery failure: the caller records it and the scheduler retries on a later tick."""
    password = password if password is not None else Settings.secret("BI_SMTP_PASSWORD")
    timeout = timeout or settings.webhook_timeout
    size = len(message.as_bytes())
    try:
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                if not password:
                    return DeliveryResult(False, 1, "BI_SMTP_USER is set but BI_SMTP_PASSWORD is not")
                client.login(settings.smtp_user, password)
            refused = client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        return DeliveryResult(False, 1, f"SMTP {settings.smtp_host}:{settings.smtp_port}: {type(exc).__name__}: {exc}")
    if refused:
        return DeliveryResult(False, 1, f"recipient(s) refused: {', '.join(refused)}")
    return DeliveryResult(True, 1, None, None, size)
