"""The built wheel carries what an installed copy needs (prompts, the selector model, type marker) and answers."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, source = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source")
    for name in ("rag", "prompts"):  # a copy: building in place leaves build/ in the repository
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return next(out.glob("nachrichten_rag-*.whl"))


def test_the_wheel_ships_prompts_selector_and_every_module(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "rag/prompts/answer_de.md",
        "rag/prompts/condense_de.md",
        "rag/answer/selector.json",
        "rag/py.typed",
    } <= names
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "rag").rglob("*.py")}
    assert modules <= names


@pytest.mark.slow
def test_an_installed_copy_loads_its_own_prompts_and_answers_a_seed_question(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import sys\n"
        "sys.meta_path = [f for f in sys.meta_path if 'editable' not in getattr(f, '__module__', '')]\n"
        f"sys.path.insert(0, {str(target)!r})\n"
        "from rag.answer.llm import LLMAnswerer\n"
        "from rag.settings import Settings\n"
        "import rag\n"
        "settings = Settings(answer_backend='llm')\n"
        "LLMAnswerer(settings)\n"
        "print(rag.__file__)\n"
        "print(settings.prompts_dir)\n"
        f"answer = rag.RAG.build([{str(ROOT / 'seeds')!r}], index='index', progress=False).ask('Wie viel Hilfe wurde 2024 zugesagt?')\n"
        "print(answer.short_answer.replace(' ', '_'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    module, prompts, short = proc.stdout.split()
    assert module.startswith(str(target)) and prompts.startswith(str(target))
    assert "50_Milliarden_Euro" in short
    assert (Path(prompts) / "answer_de.md").read_text() == (ROOT / "prompts" / "answer_de.md").read_text()
