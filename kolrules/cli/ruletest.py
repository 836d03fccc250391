"""``kolrules test``: run ruleset tests and report rule coverage."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kolrules.cli.errors import (
    EXIT_RULESET,
    EXIT_TESTS_FAILED,
    EXIT_USAGE,
    TEST_EPILOG,
    errors,
    fail,
)
from kolrules.cli.progress import progress_bar, quiet_option

__all__ = ["test_rulesets"]


@click.command("test", epilog=TEST_EPILOG)
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="PATH...",
    type=click.Path(exists=True, path_type=Path),
)
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Also write the results as JUnit XML (a testsuite per file), for CI.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    metavar="PERCENT",
    help="Fail (exit 1) when rule coverage over all rulesets is below PERCENT.",
)
@click.option("--verbose", "-v", is_flag=True, help="List every test and every rule's coverage.")
@quiet_option
@click.pass_context
def test_rulesets(
    ctx: click.Context,
    paths: tuple[Path, ...],
    junit_xml: Path | None,
    min_coverage: float | None,
    verbose: bool,
    quiet: bool,
) -> None:
    """Run ruleset tests (like `opa test`) and report rule coverage.

    PATH is a test file (NAME.test.toml beside NAME.toml), a ruleset (its [[test]] tables
    and the test file beside it) or a directory, searched recursively for both. Each
    failing test is shown as expected-versus-got for its verdict, tier, score and
    findings. Coverage: every rule must pass in some test and fail in some test, and a
    rule with a `when` must also be not applicable in some test; every ruleset found
    counts, tested or not. While the cases run, a progress bar (cases, cases/s) is
    drawn on stderr when stderr is a terminal; -q draws none. See
    docs/testing-rulesets.md.

    \b
    Examples:
      kolrules test rulesets/
      kolrules test rulesets/ --min-coverage 100 --junit-xml test-results.xml
      kolrules test rulesets/red-default.test.toml -v
    """
    from kolrules.ruletest import run_tests
    from kolrules.ruletest.display import print_coverage, print_run, write_junit

    with errors(), progress_bar(quiet, label="testing", unit="cases") as progress:
        run = run_tests(paths, plugins=tuple(ctx.obj.get("plugins", ())), progress=progress)
    if not run.files and not run.coverage and not run.issues:
        fail(
            f"no tests or rulesets in {', '.join(map(str, paths))}: test files are named "
            "NAME.test.toml, next to the ruleset NAME.toml",
            EXIT_USAGE,
        )
    print_run(run, sys.stdout, sys.stderr, verbose=verbose)
    print_coverage(run.coverage, sys.stdout, verbose=verbose)
    if junit_xml is not None:
        try:
            write_junit(run, junit_xml, min_coverage=min_coverage)
        except OSError as exc:
            fail(f"cannot write {junit_xml}: {exc.strerror or exc}", EXIT_USAGE)
    if run.has_errors:
        sys.exit(EXIT_RULESET)
    if run.count("fail"):
        sys.exit(EXIT_TESTS_FAILED)
    if min_coverage is not None and run.coverage_percent < min_coverage:
        fail(
            f"rule coverage {run.coverage_percent:.1f}% is below --min-coverage "
            f"{min_coverage:g}%: add tests for the gaps listed above",
            EXIT_TESTS_FAILED,
        )
