"""The package's seams: kernels load without the model layer, the compile cache is keyed by what is compiled."""

import shutil
import subprocess
import sys

from ecosim import compile_cache


def test_kernels_load_without_mesa_pandas_or_pydantic():
    code = (
        "import sys, ecosim.kernels.partnerships, ecosim.rng\n"
        "print(sorted(m for m in ('mesa', 'pandas', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_package_exports_the_run_function_not_a_module():
    import ecosim.runner  # noqa: F401 - importing the module must not replace the function

    assert callable(ecosim.run) and ecosim.run.__module__ == "ecosim.runner"
    assert "RunSpec" in dir(ecosim) and ecosim.RunSpec.__module__ == "ecosim.spec"


def test_the_cache_key_follows_what_is_compiled_not_descriptions(tmp_path, monkeypatch):
    copy = tmp_path / "ecosim"
    shutil.copytree(compile_cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(compile_cache, "PACKAGE", copy)
    key = compile_cache.compiled_hash()
    parameters = copy / "parameters.py"
    text = parameters.read_text()
    parameters.write_text(text.replace("first month without programme funding", "the first unfunded month", 1))
    assert parameters.read_text() != text and compile_cache.compiled_hash() == key  # a description: no recompile
    first, second = compile_cache.parameter_names()[:2]
    lines = text.splitlines(keepends=True)
    i = next(k for k, line in enumerate(lines) if line.lstrip().startswith(f"{first}:"))
    j = next(k for k, line in enumerate(lines) if line.lstrip().startswith(f"{second}:"))
    lines[i], lines[j] = lines[j], lines[i]  # the kernels read parameters by position: a new order recompiles
    parameters.write_text("".join(lines))
    assert compile_cache.parameter_names()[:2] == [second, first] and compile_cache.compiled_hash() != key
    kernel = copy / "kernels" / "support.py"
    parameters.write_text(text)
    kernel.write_text(kernel.read_text() + "\n")
    assert compile_cache.compiled_hash() != key
