"""The README's Python snippet that verifies a webhook signature (decision 97), run as the
README shows it against the vector the server's own test signs (tests/fixtures/
webhook-signature.json): it accepts the delivery, and refuses another body, another secret and a
stale timestamp."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]


def snippet() -> dict[str, Any]:
    """Runs the README's verification snippet; answers its namespace."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- webhook-verify -->\s*```python\n(.*?)```", readme, re.S)
    assert found, "README.md has no ```python block after <!-- webhook-verify -->"
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), "README.md (webhook-verify)", "exec"), namespace)
    return namespace


def test_the_readme_snippet_verifies_a_signed_delivery() -> None:
    verify: Callable[..., bool] = snippet()["verify_tenths_signature"]
    v = json.loads((REPO / "tests" / "fixtures" / "webhook-signature.json").read_text(encoding="utf-8"))
    body, secret, header, t = v["body"].encode(), v["secret"], v["header"], v["t"]
    assert verify(body, header, secret, now=t + 10)
    assert not verify(body + b" ", header, secret, now=t + 10)
    assert not verify(body, header, "whsec_" + "0" * 64, now=t + 10)
    assert not verify(body, header, secret, now=t + 3600)
    assert not verify(body, "v1=" + header.split("v1=")[1], secret, now=t)
