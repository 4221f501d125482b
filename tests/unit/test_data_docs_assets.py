"""Data Docs offline: every CDN file GX's pages load has a pinned local copy, and a built site
points at those copies only (tasks/data/data_docs_assets.py). No browser here: the pages are
rendered in headless Chromium by tests/e2e/test_data_docs.py."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import tarfile
from pathlib import Path

import pytest

from tasks.data import data_docs_assets as assets

pytestmark = pytest.mark.unit
NOT_INSTALLED = "no local Data Docs assets in {}: `make venv` installs them"


def gx_templates() -> Path:
    import great_expectations

    return Path(great_expectations.__file__).parent / "render" / "view" / "templates"


def test_every_cdn_url_in_gx_templates_has_a_local_copy() -> None:
    """A GX upgrade that loads a new CDN file fails here, not silently offline."""
    found = {
        url
        for template in gx_templates().glob("*.j2")
        for url in assets.remote_refs(template.read_text(encoding="utf-8"))
    }
    assert found, "no CDN URL found in GX's templates: has their layout changed?"
    assert found <= set(assets.LOCAL), sorted(found - set(assets.LOCAL))


def test_each_package_keeps_files_and_each_local_file_has_a_package() -> None:
    folders = {p.folder for p in assets.PACKAGES}
    assert len(folders) == len(assets.PACKAGES)
    assert all(p.keep for p in assets.PACKAGES)
    assert {local.split("/", 1)[0] for local in assets.LOCAL.values()} == folders


def test_tarball_members_never_leave_the_package_folder() -> None:
    jquery = next(p for p in assets.PACKAGES if p.name == "jquery")
    assert assets._kept(jquery, "package/dist/jquery.min.js") == "dist/jquery.min.js"
    assert assets._kept(jquery, "package/LICENSE.txt") == "LICENSE.txt"
    assert assets._kept(jquery, "package/src/jquery.js") is None
    assert assets._kept(jquery, "package/../../etc/passwd") is None
    assert assets._kept(jquery, "other/dist/jquery.min.js") is None


def test_a_tarball_is_unpacked_only_with_its_pinned_sha512(tmp_path: Path) -> None:
    tarball = tmp_path / "jquery-3.7.1.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, data in (("package/dist/jquery.min.js", b"x" * 200), ("package/a.js", b"y")):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    sha = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    with pytest.raises(RuntimeError, match="sha512"):
        assets._unpack(assets.Package("jquery", "3.7.1", "not-the-sha"), tarball, tmp_path / "a")
    assets._unpack(assets.Package("jquery", "3.7.1", sha), tarball, tmp_path / "b")
    kept = [p.relative_to(tmp_path / "b").as_posix() for p in (tmp_path / "b").rglob("*.js")]
    assert kept == ["jquery-3.7.1/dist/jquery.min.js"]


def test_a_page_is_pointed_at_local_copies_relative_to_its_folder(tmp_path: Path) -> None:
    page = (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/'
        'bootstrap.min.css"/>\n<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/'
        '1.12.9/umd/popper.min.js" integrity="sha384-x" crossorigin="anonymous"></script>\n'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/'
        'logo-long.png?d=1"/>\n<a href="https://greatexpectations.io">GX</a>'
    )
    deep = tmp_path / "validations" / "a" / "b"
    rewritten = assets._rewrite_page(page, deep, tmp_path)
    assert 'href="../../../static/vendor/bootstrap-4.3.1/dist/css/bootstrap.min.css"' in rewritten
    assert '<script src="../../../static/vendor/popper.js-1.12.9/dist/umd/popper.min.js">' in (
        rewritten
    )
    assert 'src="../../../static/images/logo-long.png"' in rewritten
    assert 'href="https://greatexpectations.io"' in rewritten  # a link, never loaded
    assert assets.remote_refs(rewritten) == []


def test_without_local_copies_the_cdn_links_stay_and_a_warning_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cdn = "https://code.jquery.com/jquery-3.7.1.min.js"
    (tmp_path / "index.html").write_text(f'<script src="{cdn}"></script>', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        left = assets.localize(tmp_path, root=tmp_path / "nothing-installed")
    assert left == [cdn]
    assert cdn in (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "make venv" in caplog.text


def test_the_venv_holds_the_pinned_copies() -> None:
    root = assets.assets_root()
    assert assets.installed(root), NOT_INSTALLED.format(root)
    for local in assets.LOCAL.values():
        assert (root / local).stat().st_size > 100, local


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Data Docs a validate run writes, for the tiny source (GX in memory, ~5 s)."""
    from tasks.data import validate
    from tasks.params_loader import load_params
    from tests.conftest import REPO, write_tiny_sources

    work = tmp_path_factory.mktemp("data-docs")
    source = write_tiny_sources(work / "source")
    params = load_params(
        REPO / "params.yaml", [f"paths.source_dir={source}", f"paths.out_dir={work / 'out'}"]
    )
    validate.run(params)
    return params.paths.reports_dir / "data_docs"


def test_built_data_docs_load_nothing_over_http(built_docs: Path) -> None:
    assert assets.installed(assets.assets_root()), NOT_INSTALLED.format(assets.assets_root())
    pages = sorted(built_docs.rglob("*.html"))
    assert len(pages) == 7  # index, 3 suites, 3 validation results
    for page in pages:
        text = page.read_text(encoding="utf-8")
        tags = re.findall(r"<(?:link|script)\b[^>]*>", text, flags=re.I)
        remote = [t for t in tags if re.search(r"\b(?:src|href)=[\"']?https?://", t, re.I)]
        assert not remote, f"{page.relative_to(built_docs)}: {remote}"
        assert "integrity=" not in text and "crossorigin=" not in text


STYLESHEET = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*\bhref=\"([^\"]+)\"")
SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"")


def test_built_data_docs_stylesheets_and_scripts_are_files_in_the_site(built_docs: Path) -> None:
    for page in built_docs.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        loaded = STYLESHEET.findall(text) + SCRIPT.findall(text)
        assert len(loaded) == 15, (page, loaded)  # 6 stylesheets, 9 scripts
        for ref in loaded:
            path = (page.parent / ref).resolve()
            assert path.is_file() and path.is_relative_to(built_docs.resolve()), (page, ref)


def test_make_venv_installs_the_copies() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    assert "-m tasks.data.data_docs_assets install" in makefile
