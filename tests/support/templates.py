"""Tiny mail templates written for a test, so it sees which fields reach them."""

from __future__ import annotations

from pathlib import Path

from mailbot.outbound.render import Renderer


def write_payment_templates(root: Path) -> Renderer:
    """Tiny templates for the four payment emails: enough to see which fields reach them."""
    bodies = {
        "payment_instructions": "{{ order.number }} due {{ order.due }} via {{ order.payment_method }}",
        "payment_reminder": "{{ order.number }} reminder {{ reminder_number }} due {{ order.due }}",
        "order_cancelled": "{{ order.number }} {{ order.status }}",
        "payment_confirmation": (
            "{{ order.number }} {{ order.status }}{% for s in order.services %} {{ s.expires_on }}{% endfor %}"
        ),
    }
    for name, body in bodies.items():
        for lang in ("it", "en"):
            folder = root / "mail" / name / lang
            folder.mkdir(parents=True)
            (folder / "subject.txt").write_text(f"[{name}] {{{{ order.number }}}}\n", encoding="utf-8")
            (folder / "body.txt").write_text(body + " {{ pay_link }} missing={{ pa_missing|join(',') }}\n")
            (folder / "body.html").write_text("<p>" + body + "</p>\n", encoding="utf-8")
    return Renderer(root=root)
