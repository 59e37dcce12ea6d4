from email import message_from_bytes, policy

from chordme_bi.delivery.email import build_message, html_body

REPORT = {
    "report_id": "r-1", "generated_at": "2026-11-02T06:00:00+00:00",
    "config": {"report_type": "usage_patterns", "start": "2026-10-26", "end": "2026-11-02"},
    "summary": {"report_type": "usage_patterns", "status": "ok", "message": "Busy <week>",
                "key_metrics": {"total_sessions": 1234, "mean_completion": 71.256, "top_device": "<script>x</script>"}},
    "insights": [{"message": f"insight {i} & more"} for i in range(8)],
}


def test_body_escapes_text_and_keeps_top_insights():
    body = html_body(REPORT)
    assert "<script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "Busy &lt;week&gt;" in body
    assert "1,234" in body and "71.26" in body
    assert body.count("<li>") == 5 and "insight 4 &amp; more" in body and "insight 5" not in body


def test_message_carries_every_attachment():
    files = {"r.csv": b"a,b\r\n1,2\r\n", "r__daily.csv": b"d\r\n2026-10-26\r\n"}
    message = build_message(REPORT, files, sender="BI <bi@x.org>", to="t@school.edu")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["To"] == "t@school.edu" and "Usage Patterns" in parsed["Subject"]
    attached = {p.get_filename(): p.get_content() for p in parsed.iter_attachments()}
    assert attached == {"r.csv": "a,b\r\n1,2\r\n", "r__daily.csv": "d\r\n2026-10-26\r\n"}
