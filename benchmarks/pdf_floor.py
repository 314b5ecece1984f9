"""The floor of a PDF document (issue 19 §3): bare WeasyPrint rendering the same final HTML.

`recording()` lets one real render through while keeping what coopchain.pdf.render_pdf handed
to WeasyPrint (the HTML string, the URL fetcher, the write_pdf options); `floor_render` then
renders exactly that with WeasyPrint alone. The document's time over the floor's, measured in
the same run, is what the project adds (data, templates, QR codes) on top of the layout engine.
"""

import time
from contextlib import contextmanager

import coopchain.pdf

#: The document may take at most this multiple of the floor (issue 19 §3).
FLOOR_RATIO_TARGET = 1.3


@contextmanager
def recording():
    """Within the block, every WeasyPrint render coopchain.pdf starts is recorded: yields a
    list that receives (HTML() keyword arguments, write_pdf() keyword arguments)."""
    real = coopchain.pdf.HTML
    calls: list[tuple[dict, dict]] = []

    class Recording:
        def __init__(self, **kwargs):
            self._document = real(**kwargs)
            self._kwargs = kwargs

        def write_pdf(self, **options):
            calls.append((self._kwargs, options))
            return self._document.write_pdf(**options)

    coopchain.pdf.HTML = Recording
    try:
        yield calls
    finally:
        coopchain.pdf.HTML = real


def floor_render(call: tuple[dict, dict]) -> tuple[float, float, bytes]:
    """(wall s, CPU s, PDF) of WeasyPrint alone on one recorded call."""
    html_kwargs, options = call
    started, cpu = time.perf_counter(), time.process_time()
    pdf = coopchain.pdf.HTML(**html_kwargs).write_pdf(**options)
    return time.perf_counter() - started, time.process_time() - cpu, pdf


def verdict(ratio: float) -> str:
    return "PASS" if ratio <= FLOOR_RATIO_TARGET else "FAIL"
