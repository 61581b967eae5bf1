"""What every cross-validation benchmark shares: its command-line options and the configuration of a row."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ravdess_emotion.core.cli_text import plain_text
from ravdess_emotion.corpus.organize import organize
from ravdess_emotion.training.config import RunConfig

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
"""``../shared`` beside the project: the real data the benchmarks read."""


def cross_validation_parser(
    doc: str, work_dir: str, work_dir_help: str, epochs_help: str, whole_epilog: bool = False
) -> argparse.ArgumentParser:
    """A parser with ``--ravdess``, ``--work-dir``, ``--folds``, ``--seed``, ``--epochs`` and ``--reports-dir``.

    ``doc`` is the benchmark's module docstring: its first paragraph describes the
    command, its last (or, with ``whole_epilog``, everything after the first, kept as
    written) closes the help.
    """
    first, _, rest = doc.partition("\n\n")
    if whole_epilog:
        parser = argparse.ArgumentParser(
            description=plain_text(first),
            epilog=plain_text(rest),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    else:
        parser = argparse.ArgumentParser(
            description=plain_text(first), epilog=plain_text(doc.split("\n\n")[-1])
        )
    parser.add_argument(
        "--ravdess",
        type=Path,
        default=SHARED / "ravdess",
        help="real RAVDESS audio: archives or Actor_NN folders (default %(default)s)",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path(work_dir), help=f"{work_dir_help} (default %(default)s)"
    )
    parser.add_argument("--folds", type=int, default=5, help="actor folds (default %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="default %(default)s")
    parser.add_argument("--epochs", type=int, default=None, help=epochs_help)
    parser.add_argument("--reports-dir", type=Path, default=Path("reports"), help="default %(default)s")
    return parser


def row_config(
    args: argparse.Namespace, organized: Path, model: str, preset: str, reports: Path, **settings: object
) -> RunConfig:
    """The run of one benchmark row: ``model`` under ``preset``, cross-validated over the parsed options' folds.

    Reports and plots go to ``reports``; fold backups to ``<work dir>/models``.
    ``settings`` are further ``RunConfig`` fields of the row.
    """
    return RunConfig(
        data_dir=organized,
        models=(model,),
        preset=preset,
        epochs=args.epochs,
        folds=args.folds,
        seed=args.seed,
        verbose=0,
        reports_dir=reports,
        plots_dir=reports / "plots",
        models_dir=args.work_dir / "models",
        **settings,
    )


def organized_audio(args: argparse.Namespace) -> Path | None:
    """``--ravdess`` organized into ``<work dir>/organized`` (already organized files are kept), and that folder.

    None, with the reason on stderr, when ``--ravdess`` is not a folder.
    """
    if not args.ravdess.is_dir():
        print(
            f"error: {args.ravdess} not found: point --ravdess at the RAVDESS audio archives or folders",
            file=sys.stderr,
        )
        return None
    organized = args.work_dir / "organized"
    organize(args.ravdess, organized, progress=True)
    return organized
