"""The consumer scan page served by trace_api: camera scanning, timeline, in-browser proof check.

Filled in by the consumer-path issue.
"""
