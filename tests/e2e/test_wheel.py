"""The installed product: a wheel built from this repository, in a fresh virtual environment
holding nothing else, started from a folder outside the clone.

It must serve every page (in Chromium when it is installed), listen on 127.0.0.1 only and run
with the shipped production settings, with nothing read from the clone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM, FLAGS, open_page, running

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(*cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv's encaisse command, the folder it runs from): the wheel and nothing else."""
    work = tmp_path_factory.mktemp("wheel")
    try:
        run(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(work / "dist"),
            str(ROOT),
            timeout=600,
        )
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"building the wheel failed: {exc.stderr[-2000:]}")
    wheel = next((work / "dist").glob("encaisse-*.whl"))
    venv = work / "venv"
    env = clean_env(work / "unused.db")  # nothing of this checkout on the path
    run(sys.executable, "-m", "venv", str(venv), env=env)
    python = venv / "bin" / "python"
    try:
        run(
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(wheel),
            timeout=1200,
            env=env,
        )
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"installing the wheel failed: {exc.stderr[-2000:]}")
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    return venv / "bin" / "encaisse", python, wheel, elsewhere


def clean_env(db: Path) -> dict[str, str]:
    """The environment of a user who has no clone: no PYTHONPATH, no test settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "ENCAISSE_", "STREAMLIT_"))
    }
    env["ENCAISSE_DB_URL"] = f"sqlite:///{db}"
    return env


def test_the_wheel_carries_pages_settings_and_migrations_but_no_secret(installed):
    _, _, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for page in (ROOT / "pages").glob("*.py"):
        assert f"dashboard/pages/{page.name}" in names
    assert "dashboard/streamlit/config.toml" in names
    assert "dashboard/storage/migrations/env.py" in names
    assert "dashboard/storage/migrations/script.py.mako" in names
    assert not [n for n in names if "secrets" in n]


@pytest.fixture(scope="module")
def demo_db(installed) -> tuple[Path, dict[str, str]]:
    """Demo data loaded by the installed command, in the outside folder: (folder, env)."""
    encaisse, _, _, elsewhere = installed
    env = clean_env(elsewhere / "encaisse.db")
    out = run(
        str(encaisse),
        "demo",
        "--customers",
        "40",
        "--months",
        "6",
        "--end",
        "2026-10-31",
        cwd=elsewhere,
        env=env,
        timeout=600,
    ).stdout
    assert "Demo data loaded" in out
    return elsewhere, env


def test_the_installed_product_runs_from_another_folder(installed, demo_db):
    encaisse, python, _, _ = installed
    elsewhere, env = demo_db
    code = "import dashboard; print(dashboard.__file__)"
    where = run(str(python), "-c", code, cwd=elsewhere, env=env).stdout.strip()
    assert str(ROOT) not in where and "site-packages" in where  # nothing from the clone
    kpis = run(str(encaisse), "kpis", "--json", cwd=elsewhere, env=env).stdout
    assert '"receivables"' in kpis


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_installed_app_serves_every_page_on_localhost_only(installed, demo_db):
    encaisse = installed[0]
    elsewhere, env = demo_db
    # a folder whose own Streamlit settings would open the server to every interface
    (elsewhere / ".streamlit").mkdir(exist_ok=True)
    (elsewhere / ".streamlit" / "config.toml").write_text(
        '[server]\naddress = "0.0.0.0"\n[client]\nshowErrorDetails = "full"\n'
    )
    with running([str(encaisse), "serve"], env, cwd=elsewhere) as (base, proc):
        # 127.0.0.1 only (0100007F in /proc/net/tcp): never every interface
        assert listening_addresses(int(base.rsplit(":", 1)[1])) == {"0100007F"}
        # the shipped production settings are the server's own options (it became the
        # Streamlit process: exec), whatever the folder it was started from holds
        args = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        for option in (
            b"--client.showErrorDetails=none",
            b"--server.enableXsrfProtection=true",
            b"--server.maxUploadSize=200",
            b"--server.address=127.0.0.1",
            b"--client.toolbarMode=viewer",
            b"--client.disableDataExport=true",
            b"--global.developmentMode=false",
        ):
            assert option in args, option
        if not Path(CHROMIUM).exists():
            pytest.skip("Debian's chromium is not installed: pages not opened in a browser")
        sync_api = pytest.importorskip("playwright.sync_api")
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            for path in (
                "",
                "collections",
                "satisfaction",
                "reasons",
                "segments",
                "customer",
                "data",
                "admin",
            ):
                open_page(page, f"{base}/{path}")
                assert page.locator("[data-testid=stException]").count() == 0, path
                assert page.locator("h1").count() >= 1, path
                text = page.locator("[data-testid=stApp]").inner_text()
                assert "Traceback" not in text and "Page not found" not in text, path
            browser.close()
