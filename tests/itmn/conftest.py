"""Makes train_support.py importable as ``itmn_train_test_support`` for the training tests
(pytest runs with --import-mode=importlib, so test folders are not on sys.path)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "itmn_train_test_support"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("train_support.py"))
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])

# the local HTTP mirror server of the data tests (tests/itmn/http_mirror.py)
_HTTP = "itmn_http_mirror"
if _HTTP not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_HTTP, Path(__file__).with_name("http_mirror.py"))
    sys.modules[_HTTP] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_HTTP])
