"""Helpers for the browser tests: wait for charts, click plotly points, save screenshots."""

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def plots_with_data(page, expected: int) -> int:
    """Wait for ``expected`` plotly plots, and return how many hold at least one trace."""
    # A locator waits without evaluating strings in the page, which the CSP forbids.
    page.locator(".js-plotly-plot").nth(expected - 1).wait_for()
    return page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(el => Array.isArray(el.data) && el.data.length > 0).length"
    )


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def click_point(page, chart_selector: str, point_selector: str, index: int = 0) -> None:
    """Hover, then click, the centre of one plotly point: plotly reads clicks from its drag
    layer at the mouse position, not from the point element itself."""
    point = page.locator(f"{chart_selector} {point_selector}").nth(index)
    box = point.bounding_box()
    assert box, "the point is not on screen"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)
