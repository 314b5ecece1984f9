"""File downloads every page and API call sends the same way (an attachment with its name)."""

import io

from flask import send_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_xlsx(data: bytes, filename: str):
    """A workbook as a download named `filename`."""
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename)
