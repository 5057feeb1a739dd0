"""The consumer scan page served by trace_api at `/scan` (`scanner_app.routes`).

Plain ES modules and CSS, no build step: camera scanning (BarcodeDetector, else the
vendored jsQR from `node_modules`), the consumer view, and the in-browser proof check
(`verify.js`). See scanner_app/README.md.
"""
