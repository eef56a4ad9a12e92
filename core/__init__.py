"""Loci's engine: scan, extract, embed, store, search. Pure Python; never imports Qt."""

__version__ = "0.1.0"

import os as _os

# onnxruntime (the OCR models and the speech model's voice detector) would write a device id
# and usage events under ~/.cache/Microsoft/DeveloperTools and try to send them to Microsoft.
# ORT_DISABLE_TELEMETRY, read when its runtime starts, turns that off; it is set here, on the
# first import of the engine, before anything can import onnxruntime. Nothing leaves the
# machine with the local provider.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"
