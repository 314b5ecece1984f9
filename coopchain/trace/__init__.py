"""Public traceability: QR codes for bags and lots, bag label sheets (and, later, the public
pages a QR opens: /b/<token>, /l/<token>)."""
