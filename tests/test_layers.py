"""The layers hold: operations import no blueprint, so each imports on its own (the
import-linter contract in setup.cfg, run by `make lint`, keeps the direction)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import brain.ops

OPERATIONS = [f"brain.ops.{module.name}" for module in pkgutil.iter_modules(brain.ops.__path__)]


@pytest.mark.parametrize("module", [*OPERATIONS, "brain.demo", "brain.vocabulary.meeting"])
def test_each_operation_module_imports_alone_in_a_fresh_interpreter(module):
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
