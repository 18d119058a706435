"""Command line: `python -m scripts build|up|down|push|pull|review|adjudicate|agreement|enter-passes|schema-diff|release|annotation-diff|publish|export|evaluate|baselines|benchmark`
(see README.md)."""
from __future__ import annotations

import signal
import sys


def _interrupted(*_) -> None:
    print("interrupted; a build cut off half way is rolled back by the next one", file=sys.stderr)
    raise SystemExit(130)


signal.signal(signal.SIGINT, _interrupted)  # before the slow imports below: Ctrl-C never shows a traceback

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from scripts.core.corpus import load_corpus
from scripts.core.files import write_atomic
from scripts.core.model import InputError
from scripts.core.files import PROJECT_ROOT
from scripts.build import ValidationFailed, build

DEFAULT_EXPORT = PROJECT_ROOT / "annotations" / "export.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="build the release (data/, README.md, DATASHEET.md) from corpus/ and annotations/")
    build_cmd.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "corpus")
    build_cmd.add_argument("--export", type=Path, default=None,
                           help=f"Label Studio snapshot export (default: {DEFAULT_EXPORT.relative_to(PROJECT_ROOT)} if present)")
    build_cmd.add_argument("--out", type=Path, default=PROJECT_ROOT, help="release root holding README.md and DATASHEET.md")
    build_cmd.add_argument("--workers", type=int, default=None,
                           help="processes reading the export (default: one per core for an export over 64 MB, else none)")
    build_cmd.add_argument("--allow-removals", action="store_true",
                           help="accept a release that lacks gold spans or annotations of the published one")
    up_cmd = commands.add_parser("up", help="start the annotators' Label Studio server on 127.0.0.1")
    up_cmd.add_argument("--port", type=int, default=8080)
    up_cmd.add_argument("--no-push", action="store_true", help="only start the server (by default `up` also pushes the corpus)")
    commands.add_parser("down", help="stop the Label Studio server")
    push_cmd = commands.add_parser("push", help="create or update the project: one task per document, the current gold as predictions")
    push_cmd.add_argument("--blind", metavar="ANNOTATOR",
                          help="a project of its own for an independent pass (its tasks hold no gold, only rule-based figures)")
    push_cmd.add_argument("--parts", type=int, metavar="CHARACTERS",
                          help="the project 'syria-news-spans parts': long documents as tasks of about this many characters each")
    review_cmd = commands.add_parser("review", help="where the annotations of a document disagree, per layer, with the text")
    review_cmd.add_argument("doc_id")
    adjudicate_cmd = commands.add_parser("adjudicate", help="make an annotator's annotation of a document its ground truth")
    adjudicate_cmd.add_argument("doc_id")
    adjudicate_cmd.add_argument("annotator", help="the annotator's pseudonym (annotator-N), as `review` shows it")
    pull_cmd = commands.add_parser("pull", help="write the project's annotations (pseudonymized) to annotations/export.json")
    pull_cmd.add_argument("--allow-removals", action="store_true",
                          help="accept an export with fewer annotations than the committed one (lists every span that goes, then asks)")
    pull_cmd.add_argument("--yes", action="store_true", help="with --allow-removals: do not ask (for scripts)")
    agree_cmd = commands.add_parser("agreement", help="inter-annotator agreement of an export: a table, and JSON for the datasheet")
    agree_cmd.add_argument("--export", type=Path, default=DEFAULT_EXPORT)
    agree_cmd.add_argument("--corpus", type=Path, default=PROJECT_ROOT / "corpus")
    agree_cmd.add_argument("--json", type=Path, default=PROJECT_ROOT / "annotations" / "agreement.json")
    commands.add_parser("enter-passes", help="enter annotations/passes and their adjudication into Label Studio as three users (once)")
    corrections_cmd = commands.add_parser("enter-corrections", help="a correction pass: the gold with a list of corrections applied, "
                                                                    "entered as one annotator's annotations")
    corrections_cmd.add_argument("corrections", type=Path, help="e.g. annotations/corrections-rev3.json")
    corrections_cmd.add_argument("--as", dest="pseudonym", required=True, help="the annotator, annotator-N (a new pseudonym)")
    gate_cmd = commands.add_parser("schema-diff", help="classify the schema change since the last released snapshot; --gate: fail as CI does")
    gate_cmd.add_argument("--gate", action="store_true", help="exit 1 when the change needs a version bump or a CHANGELOG entry")
    release_cmd = commands.add_parser("release", help="bump the version, rebuild, write the schema snapshot and the CHANGELOG entry")
    release_cmd.add_argument("--since", help="what to diff the annotations against: an export, a release folder or git:<ref> "
                                             "(default: git:v<last released version>)")
    release_cmd.add_argument("--allow-removals", action="store_true", help="accept removing gold spans (see `build`)")
    release_cmd.add_argument("--notes", type=Path, help="a Markdown file whose text the CHANGELOG entry carries (e.g. the rules applied)")
    diff_cmd = commands.add_parser("annotation-diff", help="spans added, removed and changed between two exports or releases")
    diff_cmd.add_argument("old", help="an export (.json), a release folder (with data/) or git:<ref>")
    diff_cmd.add_argument("new", nargs="?", default="annotations/export.json")
    diff_cmd.add_argument("--json", action="store_true", help="print JSON instead of text")
    publish_cmd = commands.add_parser("publish", help="upload the release to a Hugging Face dataset repo and tag it")
    publish_cmd.add_argument("repo_id", help="the dataset repo, e.g. my-org/syria-news-spans")
    publish_cmd.add_argument("--dry-run", action="store_true", help="list what would be uploaded where; no network")
    publish_cmd.add_argument("--release", type=Path, default=PROJECT_ROOT, help="the release folder (default: this checkout)")
    export_cmd = commands.add_parser("export", help="the gold in another tool's format: brat, spacy, conll or labelstudio")
    export_cmd.add_argument("--format", required=True, choices=("brat", "spacy", "conll", "labelstudio"))
    export_cmd.add_argument("--out", type=Path, required=True, help="the folder to write into (made if missing)")
    export_cmd.add_argument("--release", type=Path, default=PROJECT_ROOT, help="the release folder (default: this checkout)")
    from scripts.evaluate import add_arguments, add_baseline_arguments

    add_arguments(commands.add_parser("evaluate", help="score a model's predictions against the gold, with 95%% intervals"))
    add_baseline_arguments(commands.add_parser("baselines", help="score three baselines and write their table into README.md; "
                                                                 "--check: exit 1 when the card's table differs"))
    bench_cmd = commands.add_parser("benchmark", help="the build's cost by stage at growing sizes, against a floor measured in the same run")
    bench_cmd.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="gold spans per synthetic corpus")
    bench_cmd.add_argument("--work", type=Path, default=PROJECT_ROOT / ".bench", help="where corpora and releases go (git-ignored)")
    bench_cmd.add_argument("--json", type=Path, help="also write the measurements here")
    bench_cmd.add_argument("--runs", type=int, default=3, help="runs of every measurement; the report gives their medians")
    bench_cmd.add_argument("--reference-max", type=int, default=1_000_000, help="largest size for the plain-script reference")
    bench_cmd.add_argument("--scorer-max", type=int, default=1_000_000, help="largest size for the scorer")
    bench_cmd.add_argument("--all-cores-max", type=int, default=1_000_000, help="largest size for the build with a worker per core")
    bench_cmd.add_argument("--nested", type=int, nargs="*", default=[1_000, 10_000], help="claims in the one-document stress rows")
    for stream in (sys.stdout, sys.stderr):  # any terminal's encoding: a character it lacks never fails a command
        stream.reconfigure(errors="backslashreplace")
    args = parser.parse_args(argv)
    handlers = {"evaluate": _evaluate, "baselines": _baselines, "benchmark": _benchmark, "build": _build, "agreement": _agreement, "schema-diff": _schema_diff, "release": _release,
                "annotation-diff": _annotation_diff, "publish": _publish, "export": _export}
    try:
        return handlers.get(args.command, _server)(args)
    except InputError as err:
        return fail(f"{args.command} refused: the input does not read cleanly; nothing was written", err.problems)
    except BrokenPipeError:  # the reader of our output went away: nothing to say, and no one to say it to
        return 141
    except OSError as err:  # disk full, read-only folder, a file too large, a network error
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        return fail(f"{args.command} failed: {err.strerror or err}{where}; nothing published was changed. "
                    "Free space or fix the permissions, then run it again", [])
    except KeyboardInterrupt:
        return fail(f"{args.command} interrupted; nothing published was changed", [], 130)
    except Exception as err:  # noqa: BLE001 - a message, never a traceback (SYRIA_NEWS_SPANS_DEBUG=1 shows it)
        if os.environ.get("SYRIA_NEWS_SPANS_DEBUG"):
            raise
        return fail(f"{args.command} failed unexpectedly ({type(err).__name__}: {err}); nothing published was changed. "
                    "Run again with SYRIA_NEWS_SPANS_DEBUG=1 for the details and report them", [], 3)


def fail(headline: str, lines: list[str], code: int = 2) -> int:
    """Prints a refusal: one headline, then one line per problem, all made safe (no address, no control character)."""
    from scripts.core.addresses import safe

    print("\n".join(safe(part) for line in [headline, *lines] for part in str(line).split("\n")), file=sys.stderr)
    return code


def _evaluate(args) -> int:
    from scripts.evaluate import run

    return run(args)


def _baselines(args) -> int:
    from scripts.annotate import figure_mentions
    from scripts.build import replace_blocks
    from scripts.evaluate import run_baselines

    return run_baselines(args, figure_mentions, replace_blocks)


def _benchmark(args) -> int:
    from scripts.scale import report, run

    results = run(args.sizes, args.work, runs=args.runs, reference_max=args.reference_max, scorer_max=args.scorer_max,
                  all_cores_max=args.all_cores_max, nested=tuple(args.nested))
    print(report(results))
    if args.json:
        write_atomic(args.json, json.dumps(results, indent=1) + "\n")
    return 0


def _schema_diff(args) -> int:
    from schemas import contract
    from scripts.build import dataset_version

    try:
        latest = contract.latest_snapshot()
    except ValueError as err:
        return fail(f"schema-diff refused: {err}", [])
    if latest is None:
        print("no released schema snapshot yet")
        return 1 if args.gate else 0
    level, changes = contract.classify(latest[1], contract.snapshot())
    print(f"schema change since v{latest[0]}: {level}")
    print("\n".join(f"  {lvl}: {what}" for lvl, what in changes))
    if args.gate:
        changelog = PROJECT_ROOT / "CHANGELOG.md"
        problems = contract.gate(dataset_version(), changelog.read_text(encoding="utf-8") if changelog.exists() else "")
        if problems:
            print("schema gate: refused\n" + "\n".join(problems), file=sys.stderr)
            return 1
        print(f"schema gate: passed at version {dataset_version()}")
    return 0


def _release(args) -> int:
    from scripts.release import ReleaseIncomplete, release

    try:
        notes = args.notes.read_text(encoding="utf-8") if args.notes else ""
        done = release(PROJECT_ROOT, args.since, allow_removals=args.allow_removals, notes=notes)
    except (InputError, ValidationFailed) as err:
        return fail("release refused; the version is unchanged:", err.problems if isinstance(err, InputError) else err.report)
    except ValueError as err:
        return fail(f"release refused: {err}", [])
    except ReleaseIncomplete as err:
        return fail(f"release failed: {err}", [])
    print(f"released {done['version']} ({done['level']} since {done['previous'] or 'nothing'}): card, datasheet, "
          f"schemas/snapshots/v{done['version']}.json and CHANGELOG.md written.\n"
          f"Commit, then tag it:  git tag {done['tag']} && git push origin {done['tag']}\n"
          f"Users pin it on the Hub with  load_dataset(\"<hub id>\", \"<config>\", revision=\"{done['tag']}\")")
    return 0


def _annotation_diff(args) -> int:
    from scripts.release import as_text, diff, load_side

    try:
        old, new = (load_side(side, PROJECT_ROOT / "corpus", PROJECT_ROOT) for side in (args.old, args.new))
    except (InputError, ValueError, OSError) as err:
        return fail("annotation-diff refused:", err.problems if isinstance(err, InputError) else [str(err)])
    result = diff(old, new)
    print(json.dumps(result, indent=1, ensure_ascii=False) if args.json else as_text(result))
    return 0


def _publish(args) -> int:
    from scripts.release import PublishRefused, publish
    from scripts.build import dataset_version

    try:
        print("\n".join(publish(args.release, args.repo_id, dataset_version(), args.dry_run)))
    except PublishRefused as err:
        return fail(f"publish refused: {err}", [])
    return 0


def _export(args) -> int:
    from scripts.build import read_release
    from scripts.core.formats import export

    if not sorted((args.release / "data" / "documents").glob("*.parquet")):
        return fail(f"export refused: {args.release} holds no release (no data/documents/*.parquet); nothing was written", [])
    try:
        written = export(args.format, read_release(args.release), args.out)
    except ValueError as err:  # the one check of the format and of --out, in formats.export
        return fail(f"export refused: {err}; nothing was written", [])
    if written.unrepresented:
        print(f"{len(written.unrepresented)} span(s) the {args.format} format could not hold:",
              *(f"  {line}" for line in written.unrepresented), sep="\n", file=sys.stderr)
    print(f"{args.format}: wrote {len(written.files)} file(s) to {args.out}")
    return 0


def _agreement(args) -> int:
    from scripts.core.export_read import read_all_annotations
    from scripts.evaluate import table, tally

    try:
        annotations = read_all_annotations(args.export, load_corpus(args.corpus))
    except InputError as err:
        return fail("agreement refused:", err.problems)
    counted = tally(annotations)
    result = {"inter_annotator": counted.agreement(), "against_gold": counted.against_gold()}
    print("Inter-annotator agreement (ground truth excluded)\n" + table(result["inter_annotator"]))
    for annotator, scores in result["against_gold"].items():
        print(f"\n{annotator} against the ground truth\n" + table(scores))
    write_atomic(args.json, json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}")
    return 0


def _server(args) -> int:
    from scripts import annotate  # only the annotators' commands need it

    if args.command == "down":
        print("Label Studio stopped" if annotate.down() else "no Label Studio server was running")
        return 0
    try:
        if args.command == "enter-passes":
            created = annotate.enter_passes(annotate.connect(), load_corpus(PROJECT_ROOT / "corpus"), PROJECT_ROOT / "annotations" / "passes",
                            PROJECT_ROOT / "annotations" / "adjudication.json")
            print("\n".join(f"{user}: {n} annotation(s)" for user, n in created.items()) + "\nnow run `pull`")
            return 0
        if args.command == "enter-corrections":
            from scripts.core.export_model import is_id

            if not is_id("pseudonym", args.pseudonym):
                return fail("enter-corrections refused: --as takes a pseudonym annotator-N", [])
            made = annotate.enter_corrections(annotate.connect(), DEFAULT_EXPORT, load_corpus(PROJECT_ROOT / "corpus"), args.corrections, args.pseudonym)
            print("\n".join(f"{doc}: annotation {a} by {args.pseudonym}" for doc, a in made.items())
                  + "\nnow `review` each document, `adjudicate` it, and `pull`")
            return 0
        if args.command == "pull":
            lost = annotate.pull(annotate.connect(), DEFAULT_EXPORT, annotate.DEFAULT_HOME / "pseudonyms.json", args.allow_removals,
                                 confirm=None if args.yes else _confirm_removal)
            print("\n".join([*(["removed, as allowed:", *lost] if lost else []), f"wrote {DEFAULT_EXPORT.relative_to(PROJECT_ROOT)}"]))
            return 0
        if args.command in ("review", "adjudicate"):
            from scripts.annotate import AdjudicationError, adjudicate, review

            mapping = annotate.load_mapping(annotate.DEFAULT_HOME / "pseudonyms.json")
            try:
                if args.command == "adjudicate":
                    print(adjudicate(annotate.connect(), args.doc_id, args.annotator, mapping))
                else:
                    corpus = load_corpus(PROJECT_ROOT / "corpus")
                    if args.doc_id not in corpus:
                        return fail(f"review refused: doc {args.doc_id!r} is not in the corpus", [])
                    print("\n".join(review(annotate.connect(), corpus[args.doc_id], mapping)))
            except AdjudicationError as err:
                return fail(f"{args.command} refused: {err}", [])
            return 0
        server = annotate.connect() if args.command == "push" else annotate.up(args.port)
        if args.command == "push" or not args.no_push:
            if getattr(args, "parts", None):
                if args.parts < 1000:
                    return fail("push refused: --parts takes a size of at least 1000 characters", [])
                parts = annotate.push_parts(server, load_corpus(PROJECT_ROOT / "corpus"), DEFAULT_EXPORT, args.parts)
                print(f"project {annotate.PARTS_TITLE!r}: " + ", ".join(f"{d} in {len(t)} parts" for d, t in parts.items()))
                return 0
            blind = getattr(args, "blind", None)
            if blind is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,40}", blind):
                return fail("push refused: --blind takes a name of 1 to 40 letters, digits, '.', '_' or '-' (a pseudonym such as "
                            "annotator-4, never an address)", [])
            tasks = annotate.push(server, load_corpus(PROJECT_ROOT / "corpus"), DEFAULT_EXPORT, blind=blind)
            title = annotate.blind_title(blind) if blind else annotate.PROJECT_TITLE
            print(f"project {title!r}: {len(tasks)} task(s), one per document")
        if args.command == "push":
            return 0
    except InputError as err:
        return fail(f"{args.command} refused: the input does not read cleanly:", err.problems)
    except annotate.ServerError as err:
        return fail(f"{args.command} failed: {err}", [], 1)
    where = annotate.DEFAULT_HOME.relative_to(PROJECT_ROOT)
    print(f"Label Studio is up at {server.url}\n"
          f"the admin's login, password and API token are in {where}/credentials.json\n"
          f"(or set LABEL_STUDIO_USERNAME / LABEL_STUDIO_PASSWORD / LABEL_STUDIO_USER_TOKEN before the first `up`)")
    return 0


def _confirm_removal(spans: list[str]) -> bool:
    """Lists every span a pull would remove and asks; without a terminal to ask on, the answer is no."""
    print(f"the pulled export lacks {len(spans)} span(s) of the committed one:", *(f"  {s}" for s in spans), sep="\n", file=sys.stderr)
    if not sys.stdin.isatty():
        print("no terminal to confirm on: run again with --yes to accept", file=sys.stderr)
        return False
    return input(f"remove these {len(spans)} span(s)? [y/N] ").strip().lower() in ("y", "yes")


def _build(args) -> int:
    export = args.export
    if export is None and DEFAULT_EXPORT.exists():
        export = DEFAULT_EXPORT
    if export is None:
        print("no Label Studio export in annotations/ yet: publishing the documents only")
    try:
        releases = build(args.corpus, export, args.out, workers=args.workers, allow_removals=args.allow_removals)
    except InputError as err:
        return fail(f"build refused: {len(err.problems)} problem(s) in the input; nothing was written", err.problems)
    except ValidationFailed as err:
        return fail(f"validation failed: {len(err.report)} failure(s); nothing was written", err.report, 1)
    for r in releases:
        print(f"{r.name}: {r.num_rows} rows -> {r.files[0]} (sha256 {r.sha256[:16]}…)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
