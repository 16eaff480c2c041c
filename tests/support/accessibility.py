"""Accessibility checks for browser tests: an axe-core audit against WCAG 2.2 A and AA, and
reflow (WCAG 1.4.10: nothing scrolls sideways at 320 CSS px)."""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT  # the axe-core release the package bundles
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# Every WCAG 2.0, 2.1 and 2.2 success criterion of levels A and AA that axe-core can test.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def settle(page) -> None:
    """Wait for CSS transitions to end (after a switch to dark colours, say): a colour caught
    halfway is neither theme's."""
    page.wait_for_function(
        "() => document.getAnimations().every(a => !(a instanceof CSSTransition) || a.playState === 'finished')"
    )


def resize(page, width: int, height: int = 800) -> None:
    """The viewport at `width` CSS px, once the page has laid itself out at that width: under
    load, Chromium can answer a measurement before it has applied the new size and its media
    queries."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(
        """w => window.innerWidth === w && matchMedia(`(max-width: ${w}px)`).matches
              && new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))""",
        arg=width,
    )


def wcag_violations(page) -> list[str]:
    """One line per broken rule: its id, what it asks for, and where it is broken."""
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    lines = []
    for v in results["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"]]
        shown = ", ".join(targets[:5]) + (f" and {len(targets) - 5} more" if len(targets) > 5 else "")
        lines.append(f"{v['id']} ({v['impact']}, {len(targets)}x): {v['help']} at {shown}")
    return lines


# The elements sticking out past the right edge, innermost first: what to fix when a page
# scrolls sideways.
_OVERFLOW = """width => {
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right <= width + 0.5 || r.width === 0) continue;
    if ([...el.children].some(c => c.getBoundingClientRect().right > width + 0.5)) continue;
    let scrolls = false;  // inside a box that scrolls on its own: that is allowed (tables)
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX) && p.getBoundingClientRect().right <= width + 0.5) { scrolls = true; break; }
    }
    if (scrolls) continue;
    const id = el.id ? "#" + el.id : "";
    const cls = el.classList.length ? "." + [...el.classList].join(".") : "";
    out.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge at ${Math.round(r.right)} px)`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, culprits: out.slice(0, 8)};
}"""


def sideways_overflow(page, width: int) -> str | None:
    """None when the page fits `width` CSS px, else what sticks out."""
    found = page.evaluate(_OVERFLOW, width)
    if found["scrollWidth"] <= width:
        return None
    return f"{found['scrollWidth']} px wide at {width} px: " + "; ".join(found["culprits"])


def receives_tap_at_centre(locator) -> bool:
    """True when a tap at the element's centre reaches the element: nothing lies over it, and a
    page zoomed out by the phone (too wide for it) does not send the tap somewhere else."""
    locator.scroll_into_view_if_needed()
    on_top = locator.evaluate("""el => {
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && (hit === el || el.contains(hit));
    }""")
    try:
        locator.tap(trial=True, timeout=3_000)  # Playwright's own hit test, at the point it would tap
    except PlaywrightTimeoutError:
        return False
    return on_top
