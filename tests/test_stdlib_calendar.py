"""`calendar/` is data, not a package: `import calendar` must stay the standard library's module."""
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def test_import_calendar_after_create_app_is_stdlib(app):
    import calendar

    assert Path(calendar.__file__).resolve().parent == STDLIB
    assert calendar.monthrange(2026, 2) == (6, 28)


def test_import_calendar_from_the_repository_root_is_stdlib():
    # `python -c` puts the current directory first on sys.path, as `flask --app app` does.
    code = "import calendar, app; app.create_app; print(calendar.__file__); calendar.monthrange(2026, 2)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).resolve().parent == STDLIB


def test_calendar_folder_holds_no_python():
    assert not list((ROOT / "calendar").rglob("*.py"))
    assert not (ROOT / "calendar" / "__init__.py").exists()
