"""Tests of proof bundles, anchors and the read-only chain proxy."""
