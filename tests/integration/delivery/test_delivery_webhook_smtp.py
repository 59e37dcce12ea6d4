"""Webhook and SMTP delivery against real servers on 127.0.0.1."""

import json
import socket

import pytest

from chordme_bi.delivery.email import build_message, send
from chordme_bi.delivery.webhook import WebhookError, check_url, post_report
from chordme_bi.settings import Settings
from chordme_bi.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

REPORT = {"report_id": "r-42", "summary": {"report_type": "goal_tracking", "status": "ok",
                                           "key_metrics": {"goals": 3}}, "insights": ["steady"]}
SECRET = "s3cret-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_is_signed_and_verifiable(http_receiver):
    result = post_report(http_receiver.url, REPORT, secret=SECRET, timeout=5, backoff_seconds=0)
    assert result.ok and result.tries == 1 and result.status_code == 200
    [request] = http_receiver.requests
    assert json.loads(request["body"]) == REPORT
    headers = request["headers"]
    assert verify(request["body"], SECRET, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
    assert not verify(request["body"], "another-secret", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])


def test_webhook_retries_5xx_then_succeeds(http_receiver):
    http_receiver.responses = [500, 503, 200]
    result = post_report(http_receiver.url, REPORT, secret=SECRET, timeout=5, backoff_seconds=0)
    assert result.ok and result.tries == 3 and len(http_receiver.requests) == 3


def test_webhook_always_500_is_a_recorded_failure_with_the_try_count(http_receiver):
    http_receiver.responses = [500]
    result = post_report(http_receiver.url, REPORT, secret=SECRET, timeout=5, max_tries=4, backoff_seconds=0)
    assert not result.ok and result.tries == 4 and len(http_receiver.requests) == 4
    assert "HTTP 500" in result.error and "gave up after 4 tries" in result.error


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_webhook_4xx_is_not_retried(http_receiver, status):
    http_receiver.responses = [status, 200]
    result = post_report(http_receiver.url, REPORT, secret=SECRET, timeout=5, backoff_seconds=0)
    assert not result.ok and result.tries == 1 and len(http_receiver.requests) == 1
    assert f"HTTP {status}" in result.error and "not retried" in result.error


def test_webhook_connection_refused_is_retried_then_failed():
    result = post_report(f"http://127.0.0.1:{free_port()}/x", REPORT, secret=None, timeout=2, max_tries=3, backoff_seconds=0)
    assert not result.ok and result.tries == 3 and "ConnectionError" in result.error


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http://", 42])
def test_only_http_urls(url):
    with pytest.raises(WebhookError, match="http:// and https://|invalid webhook URL"):
        check_url(url)


def test_smtp_delivers_html_and_attachment(smtp_sink):
    settings = Settings(smtp_host=smtp_sink.host, smtp_port=smtp_sink.port, smtp_from="BI <bi@chordme.test>")
    pdf = b"%PDF-1.7 fake but bytes\x00\x01"
    message = build_message(REPORT, {"goal_report.pdf": pdf}, sender=settings.smtp_from, to="teacher@school.test")
    result = send(message, settings, password=None)
    assert result.ok, result.error
    [mail] = smtp_sink.messages
    assert mail["rcpt"] == ["teacher@school.test"] and mail["from"] == "bi@chordme.test"
    parsed = mail["message"]
    html = parsed.get_body(preferencelist=("html",)).get_content()
    assert "Goal Tracking" in html and "steady" in html
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "goal_report.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf


def test_smtp_unreachable_is_a_failure_not_an_exception():
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port())
    message = build_message(REPORT, {}, sender=settings.smtp_from, to="t@school.test")
    result = send(message, settings, password=None, timeout=2)
    assert not result.ok and "ConnectionRefusedError" in result.error
