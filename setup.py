"""Build the Python package `modewise` with the project's CMake (docs/PYTHON.md, "Install").

`pip install --no-build-isolation .` runs this: build_ext configures CMake (Release, tests and benchmarks off,
the Python package and modewise.testing on) in build-pip/ and builds, with one job per core, the extension
modewise._core, the test helpers of modewise.testing (the extension modewise._fake_sysfs and libfake-nvidia-ml.so)
and the CLI `modewise`, which is shipped as modewise/bin/modewise and run by the console script `modewise`
(modewise._cli); the .py files come from python/. Environment:
  MODEWISE_BUILD_DIR   reuse this CMake build tree (configured already, e.g. build/ after `make`): nothing is
                       reconfigured, only these targets are brought up to date
  MODEWISE_PREBUILT    with MODEWISE_BUILD_DIR: the tree is up to date already (ctest's pip test, after the
                       build): copy its files, build nothing (a build there could relink the CLI while other
                       tests run it)
  MODEWISE_JOBS        parallel compile jobs (default: every core)
"""

import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE_DIR = os.path.dirname(os.path.abspath(__file__))


def cmake_build_dir():
    return os.path.abspath(os.environ.get("MODEWISE_BUILD_DIR") or os.path.join(SOURCE_DIR, "build-pip"))


class CMakeExtension(Extension):
    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = cmake_build_dir()
        jobs = os.environ.get("MODEWISE_JOBS") or str(os.cpu_count() or 1)
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            self.announce("modewise: configuring CMake in %s" % build_dir, level=3)
            subprocess.check_call(["cmake", "-S", SOURCE_DIR, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                                   "-DMODEWISE_WITH_PYTHON=ON", "-DMODEWISE_BUILD_TESTS=OFF",
                                   "-DMODEWISE_WITH_BENCHMARK=OFF", "-DMODEWISE_PYTHON_TESTING=ON",
                                   "-DPython3_EXECUTABLE=" + sys.executable])
        # One build command for every target: the extensions, the fake NVML and the CLI share the libraries.
        targets = [e.target for e in self.extensions] + ["modewise_python_fake_nvml", "modewise"]
        prebuilt = os.environ.get("MODEWISE_PREBUILT") == "1" and os.environ.get("MODEWISE_BUILD_DIR")
        if not prebuilt and not getattr(self, "_modewise_built", False):
            subprocess.check_call(["cmake", "--build", build_dir, "--target", *targets, "-j", jobs])
            self._modewise_built = True
        package_dir = os.path.join(build_dir, "python", "modewise")
        name = ext.name.split(".")[-1]
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = os.path.join(package_dir, name + suffix)
        if not os.path.exists(built):
            found = [f for f in os.listdir(package_dir) if f.startswith(name + ".")]
            raise RuntimeError("modewise: %s has no %s for this Python (%s); it has %s: the build tree was configured "
                               "for another Python (Python3_EXECUTABLE), or without MODEWISE_PYTHON_TESTING"
                               % (build_dir, name + suffix, sys.executable, found or "none"))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)
        if ext.name == "modewise._core":
            self.copy_beside(target, os.path.join(package_dir, "libfake-nvidia-ml.so"), "libfake-nvidia-ml.so")
            self.copy_beside(target, os.path.join(build_dir, "modewise"), os.path.join("bin", "modewise"))

    def copy_beside(self, core, built, relative):
        """Copy a built file into the package (beside modewise/_core), keeping its executable bit."""
        if not os.path.exists(built):
            raise RuntimeError("modewise: %s was not built" % built)
        target = os.path.join(os.path.dirname(core), relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(built, target)


os.makedirs(cmake_build_dir(), exist_ok=True)  # egg_base must exist before egg_info runs

setup(
    package_dir={"": "python"},
    packages=["modewise"],
    py_modules=["modewise_probe"],
    package_data={"modewise": ["py.typed", "*.pyi"]},
    ext_modules=[CMakeExtension("modewise._core", "modewise_core"),
                 CMakeExtension("modewise._fake_sysfs", "modewise_fake_sysfs")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.path.join(cmake_build_dir(), "setuptools")},
             "egg_info": {"egg_base": cmake_build_dir()}},
    zip_safe=False,
)
