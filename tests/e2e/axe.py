"""Accessibility checks in the browser journeys: axe-core (vendored, tests/e2e/vendor/axe-core)
run inside the page as a user has it. Playwright evaluates the script through the DevTools
protocol, not as a <script> of the page, so the app's strict CSP needs no exception."""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
BLOCKING = ("critical", "serious")


def violations(page, impacts=BLOCKING) -> list[dict]:
    """The page's axe-core violations of the given impacts, each with the nodes it found."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(
                    n => ({target: n.target, summary: n.failureSummary})
                ),
            }));
        }"""
    )
    return [violation for violation in result if violation["impact"] in impacts]


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['summary'].splitlines()[-1].strip()}")
    return "\n".join(lines)
