"""axe-core in the browser tests: `assert_accessible(page)` fails on any serious or critical
violation of the page as it stands, naming the rule, the element and axe's help text.

axe-core is vendored (tests/browser/vendor/axe-core, fetched by scripts/vendor_axe.sh), so the
check needs no network. It is evaluated through Playwright, not added as a <script>: the pages'
nonce CSP would rightly refuse a script tag without the nonce.
"""

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: The impacts that fail a test; "moderate" and "minor" are reported by axe but tolerated.
FAILING_IMPACTS = ("serious", "critical")
#: WCAG 2.1 A and AA plus axe's best practices (landmarks, one h1, headings in order).
RUN_ONLY = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, impacts=FAILING_IMPACTS) -> list[dict]:
    """axe's violations on the page (all rules of RUN_ONLY) with one of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await window.axe.run(document, {runOnly: {type: "tag", values: tags},
                                                      resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary,
                                          impact: n.impact}))}));
        }""",
        RUN_ONLY,
    )
    return [v for v in result if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']} — {summary[:240]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page, what: str = "") -> None:
    """No serious or critical axe violation on the page as it is now."""
    violations = axe_violations(page)
    label = what or page.url
    assert not violations, f"axe on {label}:\n{describe(violations)}"
