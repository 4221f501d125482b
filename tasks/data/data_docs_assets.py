"""Great Expectations Data Docs that render offline: the CDN files they load, shipped locally.

GX 1.24's page templates load Bootstrap, jQuery, Popper, bootstrap-table (which fills the
index page's lists from inline data), bootstrap-datepicker, Font Awesome, a dark theme and Vega
from CDNs; GX itself ships only its own CSS, fonts and images. `make venv` installs the exact
files those URLs serve from the npm registry (`python -m tasks.data.data_docs_assets install`,
each tarball checked against its pinned sha512) under the venv's share/ folder. After a build,
`localize` copies them into the site's static/vendor/ and points every page at them, so the
folder works from file:// anywhere, with no network. Without the files the CDN links stay
(online viewers still get a styled page) and a warning says how to install them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

ASSETS_ENV = "TANDEM_DATA_DOCS_ASSETS"  # a folder `install` wrote, instead of the venv's
MARKER = ".installed.json"
VENDOR = PurePosixPath("static/vendor")  # inside the Data Docs folder


@dataclass(frozen=True)
class Package:
    """One npm package at its exact version, and the sha512 (base64) of its tarball."""

    name: str
    version: str
    sha512: str
    folders: tuple[str, ...] = ()  # kept whole, beside the files LOCAL names

    @property
    def folder(self) -> str:  # flat and URL-safe: "fontawesome-free-6.6.0"
        return f"{self.name.rsplit('/', 1)[-1]}-{self.version}"

    @property
    def keep(self) -> tuple[str, ...]:
        """Paths inside the package; a trailing / keeps a folder."""
        prefix = f"{self.folder}/"
        files = {path.removeprefix(prefix) for path in LOCAL.values() if path.startswith(prefix)}
        return (*sorted(files), *self.folders)


PACKAGES = (
    Package("bootstrap", "4.3.1",
        "rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag=="),
    Package("jquery", "3.7.1",
        "m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg=="),
    Package("popper.js", "1.12.9",
        "s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg=="),
    Package("bootstrap-table", "1.19.1",
        "WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA=="),
    Package("bootstrap-datepicker", "1.9.0",
        "9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA=="),
    Package("@fortawesome/fontawesome-free", "6.6.0",
        "60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
        ("webfonts/",)),  # all.min.css loads ../webfonts/*
    Package("@forevolve/bootstrap-dark", "1.1.0",
        "A3ucpEpxPoTVO490lZZCfjPXxv832l7mm1IxX3bXyxvgwnPGXDLyh7dWrphXKO8YBAu3EswbBEu3VSW8NRMW3A=="),
    Package("vega", "5.33.1",
        "1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw=="),
    Package("vega-lite", "5.23.0",
        "l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA=="),
    Package("vega-embed", "6.29.0",
        "PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q=="),
)  # fmt: skip

TABLE, TABLE_CDN = "bootstrap-table-1.19.1/dist", "https://unpkg.com/bootstrap-table@"
FILTER = "extensions/filter-control/bootstrap-table-filter-control"
PICKER = "bootstrap-datepicker-1.9.0/dist"
CDNJS, JSDELIVR = "https://cdnjs.cloudflare.com/ajax/libs/", "https://cdn.jsdelivr.net/npm/"
DARK = "@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark"
# Each CDN URL in GX's templates (render/view/templates/*.j2) -> the local file, below VENDOR.
# The same bytes (Bootstrap's and Popper's match the templates' sha384), except: 1.19.0's
# filter-control CSS is served by 1.19.1's, unminified CSS by the minified file, and the
# major-version URLs (vega@5 ...) by the newest release of that major.
LOCAL = {
    f"{TABLE_CDN}1.19.1/dist/bootstrap-table.min.css": f"{TABLE}/bootstrap-table.min.css",
    f"{TABLE_CDN}1.19.1/dist/bootstrap-table.min.js": f"{TABLE}/bootstrap-table.min.js",
    f"{TABLE_CDN}1.19.1/dist/{FILTER}.min.js": f"{TABLE}/{FILTER}.min.js",
    f"{TABLE_CDN}1.19.0/dist/{FILTER}.min.css": f"{TABLE}/{FILTER}.min.css",
    f"{TABLE_CDN}1.19.0/dist/{FILTER}.css": f"{TABLE}/{FILTER}.min.css",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap-4.3.1/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap-4.3.1/dist/js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/dist/jquery.min.js",
    f"{CDNJS}popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/dist/umd/popper.min.js",
    f"{CDNJS}bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        f"{PICKER}/css/bootstrap-datepicker.min.css",
    f"{CDNJS}bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        f"{PICKER}/js/bootstrap-datepicker.min.js",
    f"{CDNJS}font-awesome/6.6.0/css/all.min.css": "fontawesome-free-6.6.0/css/all.min.css",
    f"{JSDELIVR}{DARK}.css": "bootstrap-dark-1.1.0/dist/css/bootstrap-prefers-dark.min.css",
    f"{JSDELIVR}vega@5": "vega-5.33.1/build/vega.min.js",
    f"{JSDELIVR}vega-lite@5": "vega-lite-5.23.0/build/vega-lite.min.js",
    f"{JSDELIVR}vega-embed@6": "vega-embed-6.29.0/build/vega-embed.min.js",
}  # fmt: skip
# GX's logo (top navbar, dark-mode CSS) comes from its web-assets bucket; its own copy is local.
GX_ASSETS = re.compile(r"https://great-expectations-web-assets\.s3[^\"')]*")
LOGO = PurePosixPath("static/images/logo-long.png")
# crossorigin= makes a file:// page refuse the script; the integrity pins a CDN's copy
SRI = re.compile(r"\s+(?:integrity|crossorigin)=\"[^\"]*\"")
TAG_URL = re.compile(r"<(?:link|script)\b[^>]*?\b(?:src|href)=[\"']?(https?://[^\"'\s>]+)", re.I)


def assets_root() -> Path:
    """Where `install` puts the files: $TANDEM_DATA_DOCS_ASSETS, else <venv>/share/."""
    given = os.environ.get(ASSETS_ENV)
    return Path(given) if given else Path(sys.prefix) / "share" / "tandem-data-docs"


def manifest() -> dict[str, str]:
    """What an installed folder must hold, as its marker records it."""
    return {f"{p.name}@{p.version}": p.sha512 for p in PACKAGES}


def installed(root: Path) -> bool:
    try:
        return json.loads((root / MARKER).read_text(encoding="utf-8")) == manifest()
    except (OSError, ValueError):
        return False


def remote_refs(page: str) -> list[str]:
    """The http(s) URLs a page's <link> and <script> tags load."""
    return TAG_URL.findall(page)


def _kept(package: Package, member: str) -> str | None:
    """The path a tarball member keeps inside its folder, or None; never outside the folder."""
    path = PurePosixPath(member)
    if path.parts[:1] != ("package",) or ".." in path.parts or len(path.parts) < 2:
        return None
    inner = str(PurePosixPath(*path.parts[1:]))
    top_license = len(path.parts) == 2 and inner.upper().startswith(("LICENSE", "LICENCE"))
    wanted = any(inner == k or (k.endswith("/") and inner.startswith(k)) for k in package.keep)
    return inner if wanted or top_license else None


def _unpack(package: Package, tarball: Path, dest: Path) -> None:
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if digest != package.sha512:
        raise RuntimeError(f"{tarball.name}: its sha512 is not the pinned {package.sha512}")
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            inner = _kept(package, member.name) if member.isfile() else None
            source = tar.extractfile(member) if inner else None
            if inner and source:
                target = dest / package.folder / inner
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read())
    missing = [k for k in package.keep if not (dest / package.folder / k).exists()]
    if missing:
        raise RuntimeError(f"{package.name}@{package.version} has no {missing}")


def install(root: Path | None = None) -> Path:
    """Fetch the pinned packages with `npm pack` and keep the files the pages load (~3 MB)."""
    root = root or assets_root()
    if installed(root):
        return root
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("Data Docs assets need npm: `apt-get install -y npm`, then `make venv`")
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".data-docs.") as tmp:
        work, staged = Path(tmp) / "tarballs", Path(tmp) / "assets"
        work.mkdir()
        specs = [f"{p.name}@{p.version}" for p in PACKAGES]
        done = subprocess.run(
            [npm, "pack", "--json", "--pack-destination", str(work), *specs],
            capture_output=True, text=True, cwd=tmp, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"npm pack failed: {done.stderr[-2000:]}")
        names = {item["id"]: item["filename"] for item in json.loads(done.stdout)}
        for package, spec in zip(PACKAGES, specs, strict=True):
            _unpack(package, work / names[spec], staged)
        (staged / MARKER).write_text(json.dumps(manifest(), indent=1), encoding="utf-8")
        shutil.rmtree(root, ignore_errors=True)
        staged.rename(root)
    return root


def _rewrite_page(page: str, base: Path, docs_dir: Path) -> str:
    def rel(path: PurePosixPath) -> str:
        return Path(os.path.relpath(docs_dir / path, base)).as_posix()

    for url, local in LOCAL.items():
        page = page.replace(f'"{url}"', f'"{rel(VENDOR / local)}"')
    page = re.sub(r"<(?:script|link)\b[^>]*>", lambda tag: SRI.sub("", tag.group(0)), page)
    return GX_ASSETS.sub(rel(LOGO), page)


def localize(docs_dir: Path, root: Path | None = None) -> list[str]:
    """Point a built Data Docs site at local copies; return the remote URLs still loaded."""
    root = root or assets_root()
    if not installed(root):
        log.warning(
            "Data Docs in %s load their styles and scripts from CDNs (offline they render "
            "unstyled): no local copies in %s; `make venv` installs them", docs_dir, root,
        )  # fmt: skip
        return sorted({url for page in docs_dir.rglob("*.html") for url in remote_refs(
            page.read_text(encoding="utf-8"))})  # fmt: skip
    vendor = docs_dir / VENDOR
    for package in PACKAGES:
        shutil.copytree(root / package.folder, vendor / package.folder, dirs_exist_ok=True)
    styles = docs_dir / "static" / "styles"
    for sheet in styles.glob("*.css"):  # the dark-mode logo
        css = sheet.read_text(encoding="utf-8")
        sheet.write_text(GX_ASSETS.sub("../images/logo-long.png", css), encoding="utf-8")
    left: set[str] = set()
    for path in docs_dir.rglob("*.html"):
        page = _rewrite_page(path.read_text(encoding="utf-8"), path.parent, docs_dir)
        path.write_text(page, encoding="utf-8")
        left.update(remote_refs(page))
    if left:
        log.warning("Data Docs still load %s: no local copy is mapped", ", ".join(sorted(left)))
    return sorted(left)


if __name__ == "__main__":
    if sys.argv[1:2] != ["install"] or len(sys.argv) > 3:
        raise SystemExit("usage: python -m tasks.data.data_docs_assets install [FOLDER]")
    print(f"Data Docs assets in {install(Path(sys.argv[2]) if len(sys.argv) == 3 else None)}")
