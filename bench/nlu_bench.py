"""NLU benchmark: training time, parse latency, throughput, memory and model size — and, when a
Rasa 3.6 environment is present, Rasa trained with config/config.yml (its FallbackClassifier
included) on the same data, scored on the same test split and the same held-out sets
(bench/data: out-of-domain messages, harmless messages with hazard words, real emergencies,
how residents really type), side by side.

    python bench/nlu_bench.py [--rasa /tmp/rasa39env] [--skip-rasa]

Prints two Markdown tables; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: make the project importable

from bench.common import percentile, start_server  # noqa: E402

DATA = REPO / "nlu" / "data"
TEST = DATA / "test"
#: Held-out sets written apart from the training data, never trained on (a missing one is
#: left out of the table and named).
HELD_OUT = {name: REPO / "bench" / "data" / f"{name}.yml"
            for name in ("out_of_domain", "hazard_harmless", "emergencies", "typing")}


def held_out_sets() -> dict[str, list[Any]]:
    """The examples of each held-out set that exists."""
    from nlu.trainingdata import load

    return {name: load(path).examples for name, path in HELD_OUT.items() if path.exists()}


def held_out_figures(parse: Callable[[str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The headline figures (out-of-scope, emergencies, accuracy) of every held-out set."""
    from nlu.evaluation import headline

    return {name: headline(examples, [parse(e.text) for e in examples])
            for name, examples in held_out_sets().items()}


def latencies(parse: Callable[[str], Any], texts: list[str], rounds: int) -> list[float]:
    """Milliseconds per call, every text parsed ``rounds`` times."""
    out = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            parse(text)
            out.append((time.perf_counter() - started) * 1000)
    return out


def rss_after_loading(home: Path, data: Path = DATA) -> float:
    """Resident memory (MB) of a fresh process that has loaded the model and parsed once."""
    code = ("from bot.settings import Settings; from nlu.loader import load_pipeline;"
            "p = load_pipeline(Settings().nlu_paths); p.parse('3栋电梯坏了'); p.parse('hello');"
            "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])")
    out = subprocess.run([sys.executable, "-c", code], env=dict(
        os.environ, LINLI_HOME=str(home), LINLI_NLU_DATA=str(data)), cwd=REPO,
        capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def linli_row(home: Path, data: Path = DATA) -> dict[str, Any]:
    from bot.settings import Settings
    from nlu.evaluation import evaluate
    from nlu.loader import load_pipeline, train_and_save
    from nlu.model import META_FILE, MODEL_FILE
    from nlu.trainingdata import load

    settings = Settings(home=home, nlu_data=data)
    started = time.perf_counter()
    train_and_save(settings.nlu_paths)
    training = time.perf_counter() - started
    pipeline = load_pipeline(settings.nlu_paths)
    examples = load(TEST).examples
    texts = [e.text for e in examples]
    report = evaluate(pipeline.parse, examples)
    timings = latencies(pipeline.parse, texts, rounds=5)
    started = time.perf_counter()
    batch = texts * 10
    for text in batch:
        pipeline.parse(text)
    throughput = len(batch) / (time.perf_counter() - started)
    model = settings.nlu_paths.model
    size = (model / MODEL_FILE).stat().st_size + (model / META_FILE).stat().st_size
    http = http_latencies([sys.executable, "-m", "bot", "serve", "--port", "{port}"],
                          dict(os.environ, LINLI_HOME=str(home), LINLI_NLU_DATA=str(data)),
                          texts)
    return {"system": "Linli", "training_s": training, "report": report,
            "held_out": held_out_figures(pipeline.parse),
            "p50_ms": percentile(timings, 50), "p99_ms": percentile(timings, 99),
            "http_p50_ms": percentile(http, 50), "http_p99_ms": percentile(http, 99),
            "throughput": throughput, "rss_mb": rss_after_loading(home, data),
            "model_mb": size / 1e6}


def _post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def _parses(base: str) -> bool:
    try:
        _post_json(f"{base}/model/parse", {"text": "hi"})
    except OSError:
        return False
    return True


def _serve(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server and wait until /model/parse answers; returns it and that URL."""
    server, base = start_server(command, REPO, env, _parses)
    return server, f"{base}/model/parse"


def http_latencies(command: list[str], env: dict[str, str], texts: list[str]) -> list[float]:
    """Milliseconds per /model/parse call over local HTTP, every text once."""
    server, url = _serve(command, env)
    try:
        return latencies(lambda text: _post_json(url, {"text": text}), texts, rounds=1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def rasa_row(rasa_env: Path, work: Path, trained: Path | None = None,
             trained_seconds: float = 0.0, data: Path = DATA) -> dict[str, Any]:
    """Rasa 3.6: train with config/config.yml on the training files, parse over HTTP.

    ``trained``: a model folder already trained that way (its training time given), to reuse.
    """
    from nlu.evaluation import score
    from nlu.trainingdata import load

    # The Rasa environment also needs jieba (`pip install jieba` in it) for JiebaTokenizer.
    env = dict(os.environ,
               LD_LIBRARY_PATH=f"{rasa_env}/root/usr/lib/x86_64-linux-gnu:"
                               f"{rasa_env}/root/lib/x86_64-linux-gnu",
               PYTHONHOME=f"{rasa_env}/root/usr", SQLALCHEMY_SILENCE_UBER_WARNING="1",
               TF_CPP_MIN_LOG_LEVEL="3", PATH=f"{rasa_env}/venv/bin:{os.environ['PATH']}")
    rasa = str(rasa_env / "venv" / "bin" / "rasa")
    models = trained or work / "models"
    training = trained_seconds
    if trained is None:
        data = work / "nlu"
        data.mkdir(parents=True)
        for file in data.glob("*.yml"):  # the training files only, never test/
            shutil.copy(file, data / file.name)
        started = time.perf_counter()
        subprocess.run([rasa, "train", "nlu", "--config", str(REPO / "config" / "config.yml"),
                        "--nlu", str(data), "--out", str(models), "--fixed-model-name", "nlu"],
                       cwd=REPO, env=env, check=True, capture_output=True)
        training = time.perf_counter() - started
    server, url = _serve([rasa, "run", "--enable-api", "-m", str(models), "--port", "{port}",
                          "-i", "127.0.0.1"], env)
    try:
        def parse(text: str) -> dict[str, Any]:
            result = _post_json(url, {"text": text})
            if result["intent"]["name"] == "nlu_fallback":  # the FallbackClassifier's verdict
                result["intent"]["name"] = "out_of_scope"
            result.setdefault("language", "n/a")
            return result

        examples = load(TEST).examples
        report = score(examples, [parse(example.text) for example in examples])
        held_out = held_out_figures(parse)
        # Rasa's pipeline has no language detection and no category classifier.
        report["language"]["accuracy"] = report["category"]["accuracy"] = "n/a"
        timings = latencies(parse, [e.text for e in examples], rounds=1)
        rss = 0.0
        with Path(f"/proc/{server.pid}/status").open() as status:
            for line in status:
                if line.startswith("VmRSS"):
                    rss = int(line.split()[1]) / 1024
    finally:
        server.terminate()
        server.wait(timeout=30)
    size = sum(f.stat().st_size for f in models.glob("*"))
    return {"system": "Rasa 3.6 (config/config.yml)", "training_s": training, "report": report,
            "held_out": held_out,
            "p50_ms": float("nan"), "p99_ms": float("nan"),
            "http_p50_ms": percentile(timings, 50), "http_p99_ms": percentile(timings, 99),
            "throughput": 1000 / statistics.mean(timings), "rss_mb": rss,
            "model_mb": size / 1e6}


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| system | intent acc | intent macro-F1 | category acc | location exact | "
            "language acc | train s | parse p50 ms | parse p99 ms | HTTP p50 ms | HTTP p99 ms "
            "| msg/s | RSS MB | model MB |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        rep = r["report"]
        lines.append(
            f"| {r['system']} | {rep['intent']['accuracy']:.3f} | {rep['intent']['macro_f1']:.3f}"
            f" | {rep['category']['accuracy']} | {rep['location_exact_match']['accuracy']} | "
            f"{rep['language']['accuracy']} | {r['training_s']:.1f} | {r['p50_ms']:.3f} | "
            f"{r['p99_ms']:.3f} | {r['http_p50_ms']:.2f} | {r['http_p99_ms']:.2f} | "
            f"{r['throughput']:.0f} | {r['rss_mb']:.0f} | "
            f"{r['model_mb']:.1f} |")
    return "\n".join(lines)


def _figure(value: Any, digits: int = 3) -> str:
    return "–" if value is None or value != value else f"{value:.{digits}f}"


def side_by_side(rows: list[dict[str, Any]]) -> str:
    """The held-out table: in-domain macro-F1, out-of-scope on unseen domains, false and missed
    emergencies, typing, speed, training and memory."""
    head = ("| system | test macro-F1 | OOS precision (out_of_domain) | OOS recall (out_of_domain) "
            "| false emergencies (hazard_harmless) | emergency recall (emergencies) | accuracy "
            "(typing) | parse p50 / p99 ms | HTTP p50 / p99 ms | train s | RSS MB |")
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        sets = r["held_out"]
        ood = sets.get("out_of_domain", {}).get("out_of_scope", {})
        hazard = sets.get("hazard_harmless", {}).get("emergency")
        alarms = (f"{hazard['false_alarms']} of {hazard['others']} "
                  f"({100 * (hazard['false_alarm_rate'] or 0):.1f} %)" if hazard else "–")
        emergency = sets.get("emergencies", {}).get("emergency", {})
        lines.append(
            f"| {r['system']} | {r['report']['intent']['macro_f1']:.3f} | "
            f"{_figure(ood.get('precision'))} | {_figure(ood.get('recall'))} | {alarms} | "
            f"{_figure(emergency.get('recall'))} | "
            f"{_figure(sets.get('typing', {}).get('accuracy'))} | "
            f"{_figure(r['p50_ms'])} / {_figure(r['p99_ms'])} | "
            f"{_figure(r['http_p50_ms'], 2)} / {_figure(r['http_p99_ms'], 2)} | "
            f"{r['training_s']:.1f} | {r['rss_mb']:.0f} |")
    counts = ", ".join(f"{name} {len(examples)}" for name, examples in held_out_sets().items())
    missing = [name for name, path in HELD_OUT.items() if not path.exists()]
    lines.append(f"\nHeld-out messages: {counts or 'none'}"
                 + (f"; missing: {', '.join(missing)}" if missing else "") + ".")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa", type=Path, default=Path("/tmp/rasa39env"),
                        help="Rasa environment made by shared/tools/rasa39-setup.sh")
    parser.add_argument("--skip-rasa", action="store_true")
    parser.add_argument("--rasa-model", type=Path, help="reuse a Rasa model folder trained "
                        "with config/config.yml on nlu/data (skips Rasa training)")
    parser.add_argument("--rasa-training-seconds", type=float, default=0.0,
                        help="how long that training took, for the table")
    parser.add_argument("--training-data", type=Path, default=DATA,
                        help="training data folder for both systems (a snapshot of nlu/data "
                             "the reused Rasa model was trained on)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [linli_row(Path(tmp) / "linli", args.training_data)]
        if not args.skip_rasa and (args.rasa / "venv" / "bin" / "rasa").exists():
            rows.append(rasa_row(args.rasa, Path(tmp) / "rasa", args.rasa_model,
                                 args.rasa_training_seconds, args.training_data))
        elif not args.skip_rasa:
            print(f"(no Rasa environment at {args.rasa}: Linli only)", file=sys.stderr)
    print(f"NLU benchmark {time.strftime('%Y-%m-%d')}, test split {TEST.relative_to(REPO)}, "
          f"{os.cpu_count()} CPUs\n")
    print(table(rows))
    print("\nSide by side on the held-out sets in bench/data:\n")
    print(side_by_side(rows))
    if len(rows) == 2:
        ratio = rows[1]["http_p50_ms"] / rows[0]["http_p50_ms"]
        print(f"\nOver HTTP /model/parse Linli answers {ratio:.0f}x faster (p50) and trains "
              f"{rows[1]['training_s'] / rows[0]['training_s']:.0f}x faster than Rasa.")


if __name__ == "__main__":
    main()
