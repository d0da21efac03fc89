"""ekonomi.ipynb in a real JupyterLab: run all cells, then use the explorer as a controller
would (row, dimension, month range) and see the table and the chart follow."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RUN_TIMEOUT_MS = 150_000
CHANGE_TIMEOUT_MS = 20_000
# Set to a path (e.g. docs/explorer.png) to keep the explorer's screenshot for the README.
SCREENSHOT_ENV = "UPPFOLJNING_SKARMBILD"


def _select(explorer, label: str):
    """The <select> of the explorer's dropdown with this description."""
    return (
        explorer.locator(".widget-dropdown")
        .filter(has=explorer.page.get_by_text(label, exact=True))
        .locator("select")
    )


def _state(explorer) -> tuple[str, str]:
    table = explorer.locator(".uf-explorer-table").inner_html()
    chart = explorer.locator(".uf-explorer-chart").get_attribute("src") or ""
    return table, chart


def _changed(page, before: tuple[str, str]) -> None:
    """Wait until both the table and the chart differ from `before`."""
    page.wait_for_function(
        """([table, chart]) => {
            const t = document.querySelector('.uf-explorer .uf-explorer-table');
            const c = document.querySelector('.uf-explorer .uf-explorer-chart');
            return t && c && t.innerHTML !== table && c.getAttribute('src') !== chart
                && c.complete && c.naturalWidth > 0;
        }""",
        arg=list(before),
        timeout=CHANGE_TIMEOUT_MS,
    )


def test_run_all_cells_and_use_the_explorer(browser, lab):
    context = browser.new_context(viewport={"width": 1280, "height": 2000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(lab.format(path="notebooks/ekonomi.ipynb"))
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
            timeout=RUN_TIMEOUT_MS,
        )
        page.evaluate(
            """async () => {
                const panel = window.jupyterapp.shell.currentWidget;
                await panel.sessionContext.ready;
                await window.jupyterapp.commands.execute('notebook:run-all-cells');
            }"""
        )
        explorer = page.locator(".uf-explorer")
        explorer.locator(".uf-explorer-chart").wait_for(state="visible", timeout=RUN_TIMEOUT_MS)
        # every cell ran: no prompt still waiting, no error output anywhere
        page.wait_for_function(
            """() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel
                    .status === 'idle'
                && ![...document.querySelectorAll('.jp-InputArea-prompt')]
                    .some(p => p.textContent.includes('*'))""",
            timeout=RUN_TIMEOUT_MS,
        )
        assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
        table = explorer.locator(".uf-explorer-table")
        assert "4611 Köp av HVB-vård" in table.inner_text()  # 569 per konto, preselected
        lines = explorer.locator(".uf-explorer-lines")
        lines.locator("table").wait_for(timeout=CHANGE_TIMEOUT_MS)  # shown after table, chart

        before = _state(explorer)
        _select(explorer, "Rad").select_option(label="559 - Vård vuxna med missbruksproblem")
        _changed(page, before)
        assert "559" in table.locator("h4").inner_text()

        before = _state(explorer)
        _select(explorer, "Per").select_option(label="Ansvar")
        _changed(page, before)
        assert table.locator("th").first.inner_text() == "Ansvar"

        before = _state(explorer)
        _select(explorer, "Från").select_option(label="2024-06")
        _changed(page, before)
        assert "2024-06–2024-08" in table.locator("h4").inner_text()

        before, old_lines = _state(explorer), lines.inner_html()
        _select(explorer, "Rad").select_option(label="569 - Barn och ungdomsvård")
        _changed(page, before)
        page.wait_for_function(
            "old => document.querySelector('.uf-explorer .uf-explorer-lines').innerHTML !== old",
            arg=old_lines,
            timeout=CHANGE_TIMEOUT_MS,
        )
        assert "Faktura HVB" in lines.inner_text()  # 569's largest lines, with their text
        target = os.environ.get(SCREENSHOT_ENV)
        if target:
            explorer.scroll_into_view_if_needed()
            explorer.screenshot(path=str(ROOT / target))
        explorer.get_by_role("button", name="Exportera till Excel").click()
        export = explorer.locator(".uf-explorer-export")
        export.locator("code").wait_for(timeout=CHANGE_TIMEOUT_MS)
        assert Path(export.locator("code").inner_text()).name.endswith(".xlsx")
        assert Path(export.locator("code").inner_text()).exists()

        assert errors == []
    finally:
        context.close()
