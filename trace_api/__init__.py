"""The FastAPI service: enterprises, EPCIS capture, provenance, verification, labels.

`app.create_app(settings)` builds the app; `trace_api/README.md` lists the routes and the
packages behind them.
"""
