"""The Dockerfile and .dockerignore, read as text (no Docker engine here): a pinned base, a
non-root user, dependencies in a layer before the code, runtime packages only, commands the
CLI really has, the ports the compose file uses, and a build context without local state."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib

from cli.main import build_parser
from tests.deploy import compose_file
from tests.deploy.compose_file import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n(\s*#.*\n)*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            found.append((keyword.upper(), args.strip()))
    return found


def cli_commands() -> set[str]:
    (commands,) = [a for a in build_parser()._actions if a.dest == "command"]
    return set(commands.choices)


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps path out of the build context (last matching rule wins)."""
    result = False
    for rule in DOCKERIGNORE.read_text().splitlines():
        rule = rule.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatchcase(p, pattern) or fnmatch.fnmatchcase(p, "*/" + pattern.removeprefix("**/")) for p in prefixes):
            result = not negate
    return result


def test_the_base_image_is_pinned():
    (base,) = [args for keyword, args in instructions() if keyword == "FROM"]
    image = base.split()[0]
    name, _, tag = image.partition(":")
    assert name == "python" and tag and tag != "latest"
    assert re.match(r"3\.11[.-]", tag), "the Python the project supports (requires-python >= 3.11)"


def test_it_runs_as_a_non_root_user():
    steps = instructions()
    users = [i for i, (keyword, _) in enumerate(steps) if keyword == "USER"]
    assert users, "no USER: the processes would run as root"
    user = steps[users[-1]][1]
    assert user not in ("root", "0", "0:0")
    (cmd,) = [i for i, (keyword, _) in enumerate(steps) if keyword == "CMD"]
    assert users[-1] < cmd


def test_the_default_command_is_a_real_cli_command():
    (cmd,) = [args for keyword, args in instructions() if keyword == "CMD"]
    program, command, *rest = json.loads(cmd)
    assert program == "atrezzo" and not rest
    assert command in cli_commands()


def test_dependencies_install_before_the_code_is_copied():
    steps = instructions()
    copies = [(i, args) for i, (keyword, args) in enumerate(steps) if keyword == "COPY"]
    first, code = copies[0], next(c for c in copies if c[1].split()[0] == ".")
    assert "pyproject.toml" in first[1].split() and "." not in first[1].split()[:-1]
    installs = [i for i, (keyword, args) in enumerate(steps) if keyword == "RUN" and "pip install -r" in args]
    assert installs and first[0] < installs[0] < code[0]


def test_no_dev_or_test_packages_are_installed():
    for keyword, args in instructions():
        if keyword == "RUN":
            assert not re.search(r"\.\[|\[(dev|test)\]", args), args


def test_it_exposes_the_ports_the_compose_file_uses():
    exposed = {int(p) for keyword, args in instructions() if keyword == "EXPOSE" for p in args.split()}
    api_env = compose_file.environment(compose_file.raw()["services"]["api"])
    assert int(api_env["API_PORT"]) in exposed
    assert int(api_env["METRICS_ADDRESS"].rsplit(":", 1)[1]) in exposed


def test_the_build_context_leaves_out_local_state_and_secrets():
    for path in (".git/config", ".venv/bin/python", ".devdata/secrets.env", "tests/conftest.py",
                 "atrezzo.egg-info/PKG-INFO", "api/__pycache__/app.cpython-311.pyc", ".env"):
        assert ignored(path), f"{path} would be sent to the build"
    for path in ("api/app.py", "migrations/0001_init.sql", "pyproject.toml", "store/queries"):
        assert not ignored(path), f"{path} is needed in the image"


def test_every_file_the_dockerfile_copies_is_in_the_build_context():
    for keyword, args in instructions():
        if keyword == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                if source != ".":
                    assert (REPO / source).exists(), source
                    assert not ignored(source), f"{source} is copied but .dockerignore leaves it out"


def test_every_package_the_project_installs_reaches_the_image():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [p.rstrip("*") for p in setuptools["packages"]["find"]["include"]]
    modules = [m + ".py" for m in setuptools["py-modules"]]
    for path in [*packages, *modules, "migrations"]:
        if (REPO / path).exists():
            assert not ignored(path), f"{path} is part of the app but .dockerignore leaves it out"
