"""The wheel ships compiled message catalogs; everything else about the package is in setup.cfg.

``brain/migrations``, ``brain/translations`` and ``brain/static`` link to the top-level folders,
so ``package_data`` (setup.cfg) copies them into the package; this step adds the compiled
``.mo`` files, which the repository does not keep.
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _catalogs_module():
    # By file: importing the package would import Flask, which the build does not have.
    spec = importlib.util.spec_from_file_location("brain_catalogs", HERE / "brain" / "catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        if not getattr(self, "editable_mode", False):  # editable: `brain translations compile`
            _catalogs_module().compile_catalogs(
                HERE / "brain" / "translations", Path(self.build_lib) / "brain" / "translations"
            )


setup(cmdclass={"build_py": BuildWithCatalogs})
