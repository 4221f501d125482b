"""The Data Docs of a validate run, rendered by headless Chromium with the network blocked: the
index page lists the validation results and suites, a validation-result page lists its
expectations, and both are styled, from the local copies of the CDN files
(tasks/data/data_docs_assets.py)."""

from __future__ import annotations

import html
import json
import re
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tasks.data import validate
from tasks.data.data_docs_assets import assets_root, installed
from tasks.params import Params
from tests.e2e.test_prefect_ui import CHROMIUM, CHROMIUM_FLAGS, requires_chromium

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OFFLINE_FLAGS = [  # test_prefect_ui's, and no network at all
    *(flag for flag in CHROMIUM_FLAGS if flag != "--dump-dom"),
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves
    "--proxy-server=127.0.0.1:9",  # and any address goes to a closed port
    "--proxy-bypass-list=<-loopback>",  # loopback too
    "--window-size=1280,900",
]

# First in a copy of the page: which stylesheets and scripts loaded or failed; then, once the
# page, its web fonts and its tables are there (virtual time, so at once), what they did.
PROBE = """<script>
(function () {
  var loaded = [], failed = [];
  function note(list) {
    return function (event) {
      var tag = event.target.tagName;
      if (tag === 'LINK' || tag === 'SCRIPT') { list.push(event.target.href || event.target.src); }
    };
  }
  document.addEventListener('load', note(loaded), true);  // capture: these events don't bubble
  document.addEventListener('error', note(failed), true);
  function style(selector, property, pseudo) {
    var element = document.querySelector(selector);
    return element ? getComputedStyle(element, pseudo || null)[property] : null;
  }
  function write() {
    var $ = window.jQuery, picker = document.createElement('div');
    picker.className = 'datepicker';
    document.body.appendChild(picker);
    var probe = {
      loaded: loaded, failed: failed,
      jquery: $ ? $.fn.jquery : null,
      bootstrap_js: !!($ && $.fn.tooltip && $.fn.tooltip.Constructor),
      bootstrap_table: !!($ && $.fn.bootstrapTable),
      datepicker: !!($ && $.fn.datepicker),
      popper: typeof window.Popper,
      vega: [typeof window.vega, typeof window.vegaLite, typeof window.vegaEmbed],
      navbar_display: style('.navbar', 'display'),
      table_container_position: style('.fixed-table-container', 'position'),
      datepicker_padding: getComputedStyle(picker).padding,
      icon_font: style('.fas', 'fontFamily', '::before'),
      resources: performance.getEntriesByType('resource').map(function (e) { return e.name; }),
      rows: document.querySelectorAll('tr[data-index]').length
    };
    var out = document.createElement('pre');
    out.id = 'tandem-probe';
    out.textContent = JSON.stringify(probe);
    document.body.appendChild(out);
  }
  function when_ready(tries) {  // jQuery runs bootstrap-table's data-toggle init after load
    if (document.querySelector('.fixed-table-container') || tries > 50) { write(); }
    else { setTimeout(function () { when_ready(tries + 1); }, 100); }
  }
  window.addEventListener('load', function () {
    document.fonts.ready.then(function () { when_ready(0); });
  });
})();
</script>
"""


def chromium(*args: str) -> str:
    done = subprocess.run(
        [str(CHROMIUM), *OFFLINE_FLAGS, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rendered(page: Path) -> tuple[str, dict[str, Any]]:
    """The page's visible text after its scripts ran, and what the probe found."""
    probe_page = page.with_name(f"{page.stem}.probe.html")  # beside it: same relative links
    source = page.read_text(encoding="utf-8")
    probe_page.write_text(source.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dom = chromium("--dump-dom", probe_page.as_uri())
    probe_page.unlink()
    found = re.search(r'<pre id="tandem-probe">(.*?)</pre>', dom, flags=re.S)
    assert found, f"the probe never ran (no load event?): {dom[-2000:]}"
    body = re.sub(r"<(script|style|pre)\b.*?</\1>", " ", dom, flags=re.S)
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))
    return text, json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, png: Path) -> None:
    """The page as a person sees it, 1280x900, checked to be a real PNG of a non-blank page."""
    chromium(f"--screenshot={png}", page.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", data[:32]
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 900)
    assert len(data) > 20_000  # a blank page compresses to a few KB


def green_pixels(png: Path) -> int:
    """Pixels of Bootstrap's text-success green (#28a745): the ✓ icons of passed results."""
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    return int((np.abs(pixels - (40, 167, 69)).sum(axis=2) < 30).sum())


def assert_styled(page: Path, probe: dict[str, Any]) -> None:
    """Every stylesheet and script of the page loaded, from a file in the site, and did its part."""
    assert not probe["failed"], probe["failed"]
    source = page.read_text(encoding="utf-8")
    wanted = re.findall(r'<link rel="stylesheet"[^>]*? href="([^"]+)"', source)
    wanted += re.findall(r'<script src="([^"]+)"', source)
    assert len(wanted) == 15, wanted  # 6 stylesheets, 9 scripts
    assert sorted(probe["loaded"]) == sorted((page.parent / w).resolve().as_uri() for w in wanted)
    assert probe["jquery"] == "3.7.1", probe
    assert probe["bootstrap_js"] and probe["bootstrap_table"] and probe["datepicker"], probe
    assert probe["popper"] == "function", probe
    assert probe["vega"] == ["object", "object", "function"], probe  # vega, vegaLite, vegaEmbed
    assert probe["navbar_display"] == "flex", probe  # Bootstrap's .navbar; unstyled: block
    assert probe["table_container_position"] == "relative", probe  # bootstrap-table's CSS
    assert probe["datepicker_padding"] == "4px", probe  # bootstrap-datepicker's CSS
    assert "Font Awesome 6 Free" in probe["icon_font"], probe  # unstyled: the serif default
    remote = [url for url in probe["resources"] if not url.startswith("file:")]
    assert not remote, remote


@pytest.fixture
def data_docs(make_params: Callable[..., Params], tiny_sources: Path) -> Path:
    assert installed(assets_root()), f"no Data Docs assets in {assets_root()}: `make venv`"
    params = make_params(source_dir=tiny_sources)
    validate.run(params)
    return params.paths.reports_dir / "data_docs"


@requires_chromium
def test_index_page_lists_the_results_and_suites_styled_offline(
    data_docs: Path, tmp_path: Path
) -> None:
    page = data_docs / "index.html"
    text, probe = rendered(page)

    assert_styled(page, probe)
    assert probe["rows"] == 6, probe  # filled by bootstrap-table from the page's inline data
    assert text.count("Showing 1 to 3 of 3 rows") == 2, text[:3000]  # results, suites
    for source in ("documents", "sft", "eval"):
        assert f"__none__ {source} tandem-{source} " in text, text[:3000]  # run, asset, batch
    assert "Expectation Suites documents eval sft Showing" in text, text[:3000]
    png = tmp_path / "index.png"
    screenshot(page, png)
    assert green_pixels(png) > 50  # three ✓ icons, in Bootstrap's colour


@requires_chromium
def test_validation_result_page_lists_the_expectations_styled_offline(
    data_docs: Path, tmp_path: Path
) -> None:
    [page] = (data_docs / "validations" / "documents").rglob("tandem-documents.html")
    text, probe = rendered(page)

    assert_styled(page, probe)
    assert probe["rows"] >= 15, probe  # one row per expectation of the documents suite
    assert "Status: Succeeded" in text, text[:3000]
    assert "Evaluated Expectations 15" in text, text[:3000]
    assert "must always be greater than or equal to those in" in text, text[:3000]
    png = tmp_path / "validation.png"
    screenshot(page, png)
    assert green_pixels(png) > 50
