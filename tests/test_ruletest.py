"""Ruleset tests (``kolrules.ruletest``): reading cases, running them, the readable diff,
rule coverage, JUnit XML, and the opt-in pytest plugin ``kolrules.testing``.

Every bad test case is reported with its file, line, key path and a hint."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kolrules.engine import Engine
from kolrules.ruleset import bundled_rulesets_dir
from kolrules.ruleset.locate import index_lines
from kolrules.ruletest import CaseResult, TestRun, discover, run_case, run_tests
from kolrules.ruletest.cases import EngineCache, load_test_file
from kolrules.ruletest.display import failure_text, write_junit

pytest_plugins = ["pytester"]

RULESETS = bundled_rulesets_dir()

# A RED profile red-default accepts with every rule passing or not applicable.
GOOD = (
    "followers = 12_000, posts = 86, total_likes = 48_000, avg_likes = 300, "
    "avg_comments = 25, avg_collects = 120, price = 2_500"
)


@pytest.fixture(autouse=True)
def _no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLRULES_DISABLE_PLUGIN_AUTOLOAD", "1")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def one_file(tmp_path: Path, body: str, name: str = "cases.test.toml") -> Path:
    return write(tmp_path, name, 'ruleset = "red-default"\n' + textwrap.dedent(body))


def results_of(path: Path) -> list[CaseResult]:
    engines = EngineCache()
    tf = load_test_file(path, engines)
    assert not tf.issues, tf.issues
    assert tf.ruleset is not None
    engine = engines.get(Path(tf.ruleset))
    return [run_case(engine, case) for case in tf.cases]


def issues_of(path: Path) -> list[str]:
    tf = load_test_file(path, EngineCache())
    found = [*tf.issues, *(i for c in tf.cases for i in c.issues)]
    return [str(i) for i in found]


# -- the bundled rulesets -----------------------------------------------------------------


def test_the_default_rulesets_have_passing_tests_with_full_rule_coverage() -> None:
    # tests/test_cli_test_diff.py runs the whole of rulesets/ (clients included).
    names = ("red-default", "weibo-default", "wechat-default")
    run = run_tests([RULESETS / f"{name}.toml" for name in names])
    assert not run.issues, run.issues
    assert run.count("pass") == len(run.results) > 0
    assert sorted(c.name for c in run.coverage) == sorted(names)
    for c in run.coverage:
        assert c.tests > 0, f"{c.name} has no tests"
        assert c.percent == 100.0, [(r.rule, r.gaps) for r in c.rules if r.gaps]
    assert run.coverage_percent == 100.0
    assert run.ok


# -- running cases ------------------------------------------------------------------------


def test_a_passing_case_and_what_it_checks(tmp_path: Path) -> None:
    path = one_file(
        tmp_path,
        f"""
        [[test]]
        name = "good"
        profile = {{ {GOOD} }}
        [test.expect]
        verdict = "accept"
        tier = "micro"
        score = [0, 100]
        findings = {{ few-posts = "pass", likes-per-view-band = "not_applicable" }}
        """,
    )
    [result] = results_of(path)
    assert result.status == "pass" and result.passed
    assert result.decision is not None and result.decision.id == "good"  # id defaults to name
    assert len(result.outcomes) == len(result.decision.findings)


def test_a_failing_case_shows_expected_against_got_with_messages_and_values(
    tmp_path: Path,
) -> None:
    path = one_file(
        tmp_path,
        """
        [[test]]
        name = "bought followers"
        profile = { id = "t1", followers = 20000, total_likes = 5000, posts = 8 }
        [test.expect]
        verdict = "accept"
        tier = "mid"
        score = 99
        findings = { likes-below-followers = "pass", few-posts = "pass", tier-known = "pass" }
        """,
    )
    [result] = results_of(path)
    assert result.status == "fail"
    whats = [m.what for m in result.mismatches]
    assert whats == [
        "verdict",
        "tier",
        "score",
        "finding likes-below-followers",
        "finding few-posts",
    ]
    text = failure_text(result)
    assert "verdict: expected accept, got reject" in text
    assert "tier: expected mid, got micro" in text
    assert "score: expected 99, got" in text
    assert "finding likes-below-followers: expected pass, got fail" in text
    assert "0.25x followers, below 1x: likely fake followers" in text  # the finding's message
    assert "likes_per_follower = 0.25" in text and "fake_likes_per_follower = 1" in text
    assert "only 8 notes (fewer than 10)" in text
    assert "decision: verdict reject, tier micro" in text


def test_not_applicable_matches_a_false_when_or_missing_input_unknown_only_the_second(
    tmp_path: Path,
) -> None:
    # No avg_views: likes-per-view-band's `when` is false. No posts: few-posts (no `when`)
    # is not applicable because its input is missing.
    path = one_file(
        tmp_path,
        """
        [[test]]
        name = "not applicable both ways"
        profile = { followers = 12000, total_likes = 48000 }
        [test.expect.findings]
        likes-per-view-band = "not_applicable"
        few-posts = "not_applicable"

        [[test]]
        name = "unknown is missing input"
        profile = { followers = 12000, total_likes = 48000 }
        expect = { findings = { few-posts = "unknown" } }

        [[test]]
        name = "a false when is not unknown"
        profile = { followers = 12000, total_likes = 48000 }
        expect = { findings = { likes-per-view-band = "unknown" } }
        """,
    )
    first, second, third = results_of(path)
    assert first.passed and second.passed
    assert third.status == "fail"
    assert "expected unknown, got not_applicable" in failure_text(third)


@pytest.mark.parametrize(
    ("score", "passes"),
    [("[0, 100]", True), ("[95, 100]", False), ('"none"', False), ("73.76", False)],
)
def test_score_expectations(tmp_path: Path, score: str, passes: bool) -> None:
    path = one_file(
        tmp_path,
        f"""
        [[test]]
        name = "score"
        profile = {{ {GOOD} }}
        expect = {{ score = {score} }}
        """,
    )
    [result] = results_of(path)
    assert result.passed is passes


def test_no_score_is_expected_with_none(tmp_path: Path) -> None:
    # Without a follower count there is no engagement rate: red-default's score is missing.
    path = one_file(
        tmp_path,
        """
        [[test]]
        name = "no score"
        profile = { posts = 20 }
        expect = { score = "none", tier = "none" }
        """,
    )
    [result] = results_of(path)
    assert result.passed, failure_text(result)


def test_row_error_expectations(tmp_path: Path) -> None:
    path = one_file(
        tmp_path,
        f"""
        [[test]]
        name = "expected and got"
        profile = {{ followers = "lots" }}
        expect = {{ error = "NOT A NUMBER" }}

        [[test]]
        name = "expected another error"
        profile = {{ followers = "lots" }}
        expect = {{ error = "duplicate" }}

        [[test]]
        name = "expected an error, got a decision"
        profile = {{ {GOOD} }}
        expect = {{ error = "not a number" }}

        [[test]]
        name = "expected a decision, got an error"
        profile = {{ followers = -5 }}
        expect = {{ verdict = "accept" }}
        """,
    )
    ok, other, evaluated, errored = results_of(path)
    assert ok.passed and ok.row_error is not None
    assert other.status == "fail"
    assert "a row error containing 'duplicate'" in failure_text(other)
    assert "not a number" in failure_text(other)
    assert evaluated.status == "fail" and "got verdict accept" in failure_text(evaluated)
    assert errored.status == "fail"
    assert "expected a decision, got a row error" in failure_text(errored)
    assert "negative" in failure_text(errored)


# -- bad test cases: file, line, key path and a hint --------------------------------------


def test_unknown_profile_field_names_the_closest(tmp_path: Path) -> None:
    path = one_file(
        tmp_path,
        """
        [[test]]
        name = "typo"
        profile = { id = "t", folowers = 20000 }
        expect = { verdict = "accept" }
        """,
    )
    [issue] = issues_of(path)
    assert f"{path}:5 [test[0].profile.folowers]: unknown field 'folowers'" in issue
    assert "did you mean 'followers'?" in issue


def test_profile_fields_in_any_known_spelling_and_sub_tables(tmp_path: Path) -> None:
    path = one_file(
        tmp_path,
        """
        [[test]]
        name = "chinese headers"
        [test.profile]
        "小红书号" = "zh"
        "粉丝数" = "1.2万"
        "获赞与收藏" = "4.8万"
        FANS = 3
        [test.expect]
        tier = "micro"
        """,
    )
    [issue] = issues_of(path)  # 粉丝数 and FANS are both followers
    assert "[test[0].profile.FANS]: 'FANS' and '粉丝数' both mean 'followers'" in issue
    assert f"{path}:9 " in issue


@pytest.mark.parametrize(
    ("expect", "key", "message", "hint"),
    [
        (
            'findings = { likes-below-follower = "fail" }',
            "test[0].expect.findings.likes-below-follower",
            "unknown rule id 'likes-below-follower' in ruleset 'red-default'",
            "did you mean 'likes-below-followers'?",
        ),
        (
            'findings = { few-posts = "failed" }',
            "test[0].expect.findings.few-posts",
            "'failed' is not an outcome; expected one of pass, fail, not_applicable, unknown",
            "did you mean 'fail'?",
        ),
        (
            'verdict = "rejected"',
            "test[0].expect.verdict",
            "'rejected' is not a verdict; expected one of accept, review, reject",
            "did you mean 'reject'?",
        ),
        (
            'tier = "mirco"',
            "test[0].expect.tier",
            "unknown tier 'mirco'; the ruleset's tiers are micro, mid, top, celebrity",
            "did you mean 'micro'?",
        ),
        (
            "score = [60, 40]",
            "test[0].expect.score",
            "score range [60, 40] is inverted",
            "write [low, high]",
        ),
        (
            'score = "high"',
            "test[0].expect.score",
            'expected a score as a number, an inclusive range [low, high] or "none"',
            None,
        ),
        (
            'error = "not a number"\nverdict = "accept"',
            "test[0].expect.error",
            "error cannot be combined with verdict",
            "split it into two tests",
        ),
        (
            'verdcit = "accept"',
            "test[0].expect.verdcit",
            "unknown key 'verdcit'",
            "did you mean 'verdict'?",
        ),
    ],
)
def test_bad_expectations(
    tmp_path: Path, expect: str, key: str, message: str, hint: str | None
) -> None:
    body = '\n[[test]]\nname = "bad"\nprofile = { id = "t", followers = 20000 }\n'
    path = one_file(tmp_path, body + f"[test.expect]\n{expect}\n")
    [issue] = issues_of(path)
    assert issue.startswith(f"{path}:7 [{key}]: {message}"), issue
    if hint:
        assert f"hint: {hint}" in issue


def test_bad_cases_are_errors_and_the_others_still_run(tmp_path: Path) -> None:
    path = one_file(
        tmp_path,
        f"""
        [[test]]
        profile = {{ id = "t", followers = [1, 2] }}

        [[test]]
        name = "good"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "accept" }}

        [[test]]
        name = "good"
        nmae = "x"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "accept" }}
        """,
    )
    issues = "\n".join(issues_of(path))
    assert f"{path}:3 [test[0].name]: every test needs a name" in issues
    assert "[test[0].profile.followers]: expected a number or text for 'followers', got list" in (
        issues
    )
    assert "[test[0].expect]: every test needs an expect table" in issues
    assert f"{path}:13 [test[2].nmae]: unknown key 'nmae'" in issues
    assert "[test[2].name]: duplicate test name 'good', first used by test[1]" in issues
    run = run_tests([path])
    assert [r.status for r in run.results] == ["error", "pass", "error"]
    assert run.has_errors and not run.ok


def test_file_problems(tmp_path: Path) -> None:
    bad_toml = write(tmp_path, "a.test.toml", 'ruleset = "red-default"\n[[test]\nname = 1\n')
    [issue] = issues_of(bad_toml)
    assert issue.startswith(f"{bad_toml}:2: invalid TOML")

    unknown = write(tmp_path, "b.test.toml", 'ruleset = "red-defualt"\nrulset = 1\n')
    issues = issues_of(unknown)
    assert any("[rulset]: unknown key 'rulset'" in i for i in issues)
    assert any(
        "[ruleset]: unknown ruleset 'red-defualt'" in i and "did you mean 'red-default'?" in i
        for i in issues
    )

    missing = write(tmp_path, "c.test.toml", 'ruleset = "nowhere/c.toml"\n[[test]]\n')
    assert any("[ruleset]: no ruleset file" in i for i in issues_of(missing))

    orphan = write(tmp_path, "d.test.toml", "[[test]]\nname = 'x'\n")
    [issue] = issues_of(orphan)
    assert "no ruleset d.toml beside this test file" in issue

    empty = write(tmp_path, "e.test.toml", 'ruleset = "red-default"\n')
    [issue] = issues_of(empty)
    assert "no [[test]] tables" in issue


def test_a_broken_ruleset_is_reported_with_its_own_problems(tmp_path: Path) -> None:
    write(
        tmp_path,
        "broken.toml",
        """
        [ruleset]
        name = "broken"
        version = "1"
        platform = "red"

        [[rules]]
        id = "x"
        require = "folowers > 1"
        severity = "warn"
        """,
    )
    write(tmp_path, "broken.test.toml", "[[test]]\nname = 'x'\nprofile = {}\n")
    run = run_tests([tmp_path])
    assert run.has_errors
    text = "\n".join(str(i) for i in run.issues)
    assert "broken.toml" in text and "unknown name 'folowers'" in text
    assert len(run.issues) == len(set(run.issues))  # reported once, not per file


# -- finding tests ------------------------------------------------------------------------


def test_discover_walks_directories_and_rulesets_bring_their_tests(tmp_path: Path) -> None:
    red = (RULESETS / "red-default.toml").read_text(encoding="utf-8")
    write(tmp_path, "a/acme.toml", red.replace('name = "red-default"', 'name = "acme"'))
    write(tmp_path, "a/acme.test.toml", f"[[test]]\nname = 'x'\nprofile = {{ {GOOD} }}\n")
    write(tmp_path, "a/deep/er/other.test.toml", 'ruleset = "red-default"\n')
    write(tmp_path, ".hidden/skip.test.toml", "")
    write(tmp_path, "a/pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, "a/bad.toml", "[[")
    tests, rulesets, unreadable = discover([tmp_path])
    names = sorted(p.name for p in tests)
    assert names == ["acme.test.toml", "other.test.toml"]
    assert [p.name for p in rulesets] == ["acme.toml"]
    assert [p.name for p in unreadable] == ["bad.toml"]
    # A ruleset named directly brings the test file beside it.
    tests, rulesets, _ = discover([tmp_path / "a" / "acme.toml"])
    assert [p.name for p in tests] == ["acme.test.toml"]
    with pytest.raises(FileNotFoundError, match="no such file or directory"):
        discover([tmp_path / "nope"])


def test_tests_inside_a_ruleset_run_and_are_not_inherited_by_overlays(tmp_path: Path) -> None:
    red = (RULESETS / "red-default.toml").read_text(encoding="utf-8")
    parent = red.replace('name = "red-default"', 'name = "parent"') + textwrap.dedent(
        f"""
        [[test]]
        name = "inside the ruleset"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "accept" }}
        """
    )
    write(tmp_path, "parent.toml", parent)
    write(
        tmp_path,
        "child.toml",
        """
        [ruleset]
        name = "child"
        version = "1"
        extends = "parent.toml"

        [params]
        min_posts = 100
        """,
    )
    run = run_tests([tmp_path])
    assert not run.issues, run.issues
    assert [r.case.name for r in run.results] == ["inside the ruleset"]
    assert run.results[0].passed
    tests = {c.name: c.tests for c in run.coverage}
    assert tests == {"parent": 1, "child": 0}  # the child does not run its parent's tests


# -- coverage -----------------------------------------------------------------------------


def test_coverage_counts_pass_fail_and_a_false_when(tmp_path: Path) -> None:
    path = one_file(
        tmp_path,
        f"""
        [[test]]
        name = "good"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "accept" }}

        [[test]]
        name = "no posts"
        profile = {{ followers = 12000 }}
        expect = {{ tier = "micro" }}
        """,
    )
    run = run_tests([path])
    [cov] = run.coverage
    rules = {r.rule: r for r in cov.rules}
    few_posts = rules["few-posts"]  # no `when`: pass and fail required
    assert few_posts.required == ("pass", "fail")
    assert (few_posts.passed, few_posts.failed, few_posts.unknown) == (1, 0, 1)
    assert few_posts.gaps == ("fail",)  # missing input is shown, but does not count
    views = rules["likes-per-view-band"]  # has a `when`
    assert views.required == ("pass", "fail", "not_applicable")
    assert views.not_applicable == 2 and views.gaps == ("pass", "fail")
    assert cov.required == sum(len(r.required) for r in cov.rules)
    assert 0 < cov.percent < 100
    assert cov.percent == pytest.approx(100 * cov.covered / cov.required)
    assert cov.tiers_seen == ("micro",)


def test_an_untested_ruleset_in_a_directory_counts_as_zero(tmp_path: Path) -> None:
    red = (RULESETS / "red-default.toml").read_text(encoding="utf-8")
    write(tmp_path, "lonely.toml", red.replace('name = "red-default"', 'name = "lonely"'))
    run = run_tests([tmp_path])
    [cov] = run.coverage
    assert (cov.name, cov.tests, cov.covered, cov.percent) == ("lonely", 0, 0, 0.0)
    assert run.ok and run.coverage_percent == 0.0


# -- JUnit XML ----------------------------------------------------------------------------


def test_junit_xml(tmp_path: Path) -> None:
    one_file(
        tmp_path,
        f"""
        [[test]]
        name = "passes"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "accept" }}

        [[test]]
        name = "fails"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "reject" }}

        [[test]]
        name = "broken"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "nope" }}
        """,
    )
    write(tmp_path, "z.test.toml", "[[")
    run = run_tests([tmp_path])
    out = tmp_path / "junit.xml"
    write_junit(run, out, min_coverage=100)
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "2")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    cases = suites[str(tmp_path / "cases.test.toml")]
    assert [c.get("name") for c in cases.iter("testcase")] == ["passes", "fails", "broken"]
    assert [c.get("line") for c in cases.iter("testcase")] == ["3", "8", "13"]
    failure = cases.find("testcase[@name='fails']/failure")
    assert failure is not None
    assert failure.get("message") == "verdict: expected reject, got accept"
    assert "decision: verdict accept" in (failure.text or "")
    error = cases.find("testcase[@name='broken']/error")
    assert error is not None and "'nope' is not a verdict" in (error.get("message") or "")
    load = suites[str(tmp_path / "z.test.toml")].find("testcase[@name='(load)']/error")
    assert load is not None and "invalid TOML" in (load.text or "")
    coverage = suites["coverage"].find("testcase/failure")
    assert coverage is not None and "is below 100%" in (coverage.get("message") or "")


def test_line_index_knows_sub_tables_of_arrays_of_tables() -> None:
    lines = index_lines("[[test]]\na = 1\n[test.expect]\nb = 2\n[[test]]\n[test.expect]\nb = 3\n")
    assert lines[("test", 0, "expect", "b")] == 4
    assert lines[("test", 1, "expect")] == 6
    assert lines[("test", 1, "expect", "b")] == 7


def test_result_objects_are_not_collected_by_pytest() -> None:
    assert TestRun.__test__ is False  # type: ignore[attr-defined]


def test_engine_cache_builds_one_engine_per_file() -> None:
    engines = EngineCache()
    path = RULESETS / "red-default.toml"
    first = engines.get(path)
    assert engines.get(RULESETS / ".." / "rulesets" / "red-default.toml") is first
    assert isinstance(first, Engine)


# -- the pytest plugin --------------------------------------------------------------------


def _copy_cases(pytester: pytest.Pytester, body: str) -> None:
    pytester.makefile(".test.toml", cases='ruleset = "red-default"\n' + textwrap.dedent(body))


def test_pytest_plugin_collects_one_item_per_case(pytester: pytest.Pytester) -> None:
    _copy_cases(
        pytester,
        f"""
        [[test]]
        name = "good KOL"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "accept" }}

        [[test]]
        name = "wrong verdict"
        profile = {{ {GOOD} }}
        expect = {{ verdict = "reject", findings = {{ few-posts = "fail" }} }}

        [[test]]
        name = "broken case"
        profile = {{ folowers = 1 }}
        expect = {{ verdict = "accept" }}
        """,
    )
    result = pytester.runpytest("-p", "kolrules.testing", "-v")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*cases.test.toml::good KOL PASSED*",
            "*verdict: expected reject, got accept*",
            "*finding few-posts: expected fail, got pass*",
            "*(test case at *cases.test.toml:8)*",
            "*unknown field 'folowers'*",
            "*did you mean 'followers'?*",
            "kolrules rule coverage: *% (red-default *%)*",
        ]
    )


def test_pytest_plugin_is_opt_in(pytester: pytest.Pytester) -> None:
    _copy_cases(pytester, f"[[test]]\nname = 'x'\nprofile = {{ {GOOD} }}\nexpect = {{}}\n")
    result = pytester.runpytest()
    result.assert_outcomes()  # nothing collected without -p kolrules.testing
    pytester.makeconftest('pytest_plugins = ["kolrules.testing"]')
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)  # enabled from a conftest


def test_pytest_plugin_reports_a_broken_file_as_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".test.toml", broken='ruleset = "red-defualt"\n[[test]]\n')
    result = pytester.runpytest("-p", "kolrules.testing")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*broken.test.toml:1 ?ruleset?: unknown ruleset 'red-defualt'*", "*did you mean*"]
    )


def test_pytest_plugin_collects_tests_inside_a_ruleset(pytester: pytest.Pytester) -> None:
    red = (RULESETS / "red-default.toml").read_text(encoding="utf-8")
    pytester.makefile(
        ".toml",
        acme=red
        + f"\n[[test]]\nname = 'inside'\nprofile = {{ {GOOD} }}\nexpect = {{ tier = 'micro' }}\n",
        pyproject="[tool.other]\nx = 1\n",
    )
    result = pytester.runpytest("-p", "kolrules.testing", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*acme.toml::inside PASSED*"])
