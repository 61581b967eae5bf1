"""Every command the README and docs/ name, and every number of them comes from, is one its script accepts as written.

Each ``python SCRIPT.py ...`` or ``python -m MODULE ...`` command of README.md and of
every page of ``docs/`` (in their
bash blocks, and complete ones in inline code) is parsed by that script's own parser, and
nothing runs: ``train_models.py`` builds its full run configuration (models, presets and
options checked together), every other script stops right after its parser accepts the
options. A renamed or removed option, a misspelt preset or a model that no longer exists
fails here instead of in a reader's shell.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
from pathlib import Path

import pytest

import train_models
from ravdess_emotion.training.config import RunConfig

ROOT = Path(__file__).resolve().parents[1]


def readme_commands(text: str) -> list[str]:
    """The Python commands of a README: bash-block lines (continuations joined) and complete inline ones.

    Inline fragments that stand for a family of commands (with ``...``, ``…`` or ``[``
    option lists) are left out, as are comments after ``#``.
    """
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            commands.append(line.split(" #")[0].strip())
    inline = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    commands += [
        span for span in re.findall(r"`(python [^`\n]+)`", inline) if not re.search(r"\.\.\.|…|\[", span)
    ]
    return list(dict.fromkeys(c for c in commands if c.startswith("python ")))


def module_and_options(command: str) -> tuple[str, list[str]]:
    """``("benchmarks.audio", [...options])`` of ``python -m benchmarks.audio ...`` or ``python predict.py ...``."""
    words = shlex.split(command)[1:]
    if words[0] == "-m":
        return words[1], words[2:]
    if not words[0].endswith(".py") or "/" in words[0]:
        raise ValueError(f"not a script of the project's top folder: {command!r}")
    return words[0].removesuffix(".py"), words[1:]


class Parsed(Exception):
    """Raised right after a parser accepted a command line, so that nothing runs."""


def stop_after_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every ``ArgumentParser.parse_args`` raise :class:`Parsed` once it has accepted its options."""
    parse_args = argparse.ArgumentParser.parse_args

    def parse_and_stop(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise Parsed(parse_args(self, *args, **kwargs))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_and_stop)


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
"""README.md and every page of docs/: each command they show is checked here."""
COMMANDS = list(dict.fromkeys(c for page in DOCUMENTS for c in readme_commands(page.read_text())))


def test_the_readme_names_the_commands_of_its_numbers() -> None:
    modules = {module_and_options(c)[0] for c in COMMANDS}
    assert {"train_models", "predict", "organize_data", "data_loader"} <= modules
    assert {"benchmarks.audio", "benchmarks.ensembles", "benchmarks.speakers", "benchmarks.faces"} <= modules


@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_is_accepted_as_written(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module, options = module_and_options(command)
    if module == "train_models":  # the whole configuration: models, presets and options checked together
        assert isinstance(train_models.parse_args(options), RunConfig)
        return
    stop_after_parsing(monkeypatch)
    with pytest.raises(Parsed):
        importlib.import_module(module).main(options)


def test_a_command_the_script_refuses_fails_here(monkeypatch: pytest.MonkeyPatch) -> None:
    stop_after_parsing(monkeypatch)
    module, options = module_and_options("python -m benchmarks.ensembles --mfcc-coefficent 40")
    with pytest.raises(SystemExit):
        importlib.import_module(module).main(options)
    with pytest.raises(SystemExit):
        train_models.parse_args(module_and_options("python train_models.py --preset bset")[1])
