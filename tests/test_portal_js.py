"""The portal script's upload arithmetic (chunk sizes, time left) under node's own test
runner: ``tests/js/portal_upload.test.js`` loads ``pipeline/portal/static/portal.js`` as a
module (the browser part needs a page and is left out)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TEST = Path(__file__).parent / "js" / "portal_upload.test.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_upload_arithmetic_under_node() -> None:
    done = subprocess.run(["node", "--test", str(JS_TEST)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 7" in done.stdout
