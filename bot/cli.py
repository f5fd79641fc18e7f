"""The ``linli`` command line: the composition root for everything started from a terminal."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.settings import Settings

app = typer.Typer(help="Linli (邻里): a resident-services bot for urban communities.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)
nlu_app = typer.Typer(help="Train, evaluate and try the language-understanding model.",
                      no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
community_app = typer.Typer(help="The community: grids, buildings, people.", no_args_is_help=True)
app.add_typer(community_app, name="community")


def _progress() -> Any:
    started = time.perf_counter()

    def report(message: str) -> None:
        typer.echo(f"[{time.perf_counter() - started:5.1f}s] {message}", err=True)

    return report


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@nlu_app.command("train")
def nlu_train(
    data: Annotated[Path | None, typer.Option(help="training data folder or file")] = None,
) -> None:
    """Train the NLU model on the training data and save it."""
    from nlu.loader import train_and_save
    from nlu.trainingdata import TrainingDataError

    settings = Settings()
    paths = settings.nlu_paths
    if data is not None:
        paths = type(paths)(data=data, model=paths.model, cache=paths.cache)
    try:
        train_and_save(paths, _progress())
    except (TrainingDataError, FileNotFoundError, ValueError) as error:
        raise _fail(str(error)) from None


@nlu_app.command("evaluate")
def nlu_evaluate(
    data: Annotated[Path, typer.Option(help="annotated data file or folder to score on")],
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as JSON")] = False,
    report_dir: Annotated[Path | None, typer.Option(help="where to write report.json and "
                                                    "confusion.png")] = None,
    cross_validation: Annotated[bool, typer.Option(
        help="k-fold cross-validation on DATA instead of scoring the saved model")] = False,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
) -> None:
    """Score the model on annotated data: intents, entities, categories, languages."""
    from nlu.evaluation import evaluate, plot_confusion, summary_lines
    from nlu.loader import ensure_pipeline
    from nlu.trainingdata import TrainingDataError, load

    settings = Settings()
    try:
        examples = load(data).examples
        if cross_validation:
            from nlu.crossvalidation import cross_validate

            report = cross_validate(load(data), folds, settings.nlu_paths.cache, _progress())
        else:
            pipeline = ensure_pipeline(settings.nlu_paths, _progress())
            report = evaluate(pipeline.parse, examples)
    except (TrainingDataError, FileNotFoundError, ValueError) as error:
        raise _fail(str(error)) from None
    out = report_dir or settings.home / "reports"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                     encoding="utf-8")
    report["confusion_png"] = str(plot_confusion(report, out / "confusion.png"))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        for line in summary_lines(report):
            typer.echo(line)
        typer.echo(f"report: {out / 'report.json'}  confusion matrix: {report['confusion_png']}")


@nlu_app.command("parse")
def nlu_parse(
    text: Annotated[str | None, typer.Argument(help="message; without it, one per stdin line")]
    = None,
) -> None:
    """Parse a message, or every line of standard input, printing one JSON result per line."""
    from nlu.loader import ensure_pipeline

    pipeline = ensure_pipeline(Settings().nlu_paths, _progress())
    lines = [text] if text is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for line in lines:
        sys.stdout.write(json.dumps(pipeline.parse(line), ensure_ascii=False) + "\n")
        sys.stdout.flush()


@app.command()
def shell() -> None:
    """Chat with Linli in the terminal (for now: shows how each message is understood)."""
    from nlu.loader import ensure_pipeline

    pipeline = ensure_pipeline(Settings().nlu_paths, _progress())
    typer.echo("Linli 邻里 — type a message (Ctrl-D to quit). 输入消息，Ctrl-D 退出。")
    while True:
        try:
            line = input("you> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo()
            return
        result = pipeline.parse(line)
        entities = ", ".join(f"{e['entity']}={e['value']}" for e in result["entities"])
        typer.echo(f"  [{result['language']}] {result['intent']['name']} "
                   f"({result['intent']['confidence']:.2f}){'  ' + entities if entities else ''}")


def _import_community(path: Path) -> None:
    import yaml

    from store.community import CommunityFileError, import_community, parse_community
    from store.database import make_engine, session_factory, transaction
    from store.migrate import upgrade

    try:
        spec = parse_community(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, CommunityFileError) as error:
        raise _fail(f"{path}: {error}") from None
    engine = make_engine(Settings().database)
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        report = import_community(session, spec)
    typer.echo(f"community {report.community}: {report.grids} grids, {report.buildings} "
               f"buildings, {report.people} people")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    from store.database import make_engine
    from store.migrate import upgrade

    settings = Settings()
    upgrade(make_engine(settings.database))
    typer.echo(f"database is up to date: {settings.database}")


@community_app.command("import")
def community_import(
    file: Annotated[Path, typer.Argument(help="community YAML (see config/community.demo.yml)")],
) -> None:
    """Load or update a community from a YAML file."""
    _import_community(file)


@app.command()
def demo() -> None:
    """Load the demo community (config/community.demo.yml)."""
    _import_community(Settings().config_dir / "community.demo.yml")


def main() -> None:
    """Entry point of the ``linli`` console script."""
    app()
