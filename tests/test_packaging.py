"""The built wheel carries what an installed copy needs (prompts, the selector model, type marker), and a fresh
virtual environment that installs it with its declared dependencies answers a seed question."""

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
def test_a_fresh_virtualenv_installs_the_wheel_and_answers_a_seed_question(wheel: Path, tmp_path: Path) -> None:
    """What a user gets from ``pip install``: the declared dependencies, the packaged prompts, an answer."""
    env = tmp_path / "env"
    try:
        _install_and_answer(wheel, env, tmp_path)
    finally:  # the venv holds about 1.5 GB (torch): pytest keeps three runs' temp dirs, so a full disk fails CI
        shutil.rmtree(env, ignore_errors=True)


def _install_and_answer(wheel: Path, env: Path, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=120)
    pip = [str(env / "bin" / "python"), "-m", "pip", "install", "-q"]
    # CPU torch first, as the Makefile does: a plain dependency on it would pull the CUDA build.
    subprocess.run([*pip, "torch==2.13.0"], check=True, capture_output=True, timeout=900)
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True, timeout=1800)
    code = (
        "import rag\n"
        "from rag.answer.llm import LLMAnswerer\n"
        "from rag.settings import Settings\n"
        "settings = Settings(answer_backend='llm')\n"
        "LLMAnswerer(settings)\n"
        "print(rag.__file__)\n"
        "print(settings.prompts_dir)\n"
        f"answer = rag.RAG.build([{str(ROOT / 'seeds')!r}], index='index', progress=False).ask('Wie viel Hilfe wurde 2024 zugesagt?')\n"
        "print(answer.short_answer.replace(' ', '_'))\n"
    )
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    module, prompts, short = proc.stdout.split()
    assert module.startswith(str(env)) and prompts.startswith(str(env))
    assert "50_Milliarden_Euro" in short
    assert (Path(prompts) / "answer_de.md").read_text() == (ROOT / "prompts" / "answer_de.md").read_text()
