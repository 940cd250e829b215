"""Dockerfile and .dockerignore: slim base, non-root user, every COPY source
present and inside the build context, uv.lock honoured, one image for all."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.deploy.dockerfile import (
    DockerIgnore,
    Instruction,
    arg_defaults,
    instructions,
    stages,
    substitute,
)

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file())
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|(^|_)KEY($|_)|CREDENTIAL", re.I)


@pytest.fixture(scope="module")
def items() -> list[Instruction]:
    return instructions(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def ignore() -> DockerIgnore:
    return DockerIgnore.load(ROOT / ".dockerignore")


def final_stage(items: list[Instruction]) -> list[Instruction]:
    return stages(items)[-1]


def last(stage: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in stage if i.keyword == keyword]
    assert found, f"no {keyword}"
    return found[-1]


def workspace_members() -> list[Path]:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members: list[Path] = []
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        members.extend(sorted(p for p in ROOT.glob(pattern) if (p / "pyproject.toml").is_file()))
    return members


def test_every_stage_uses_a_slim_python_311_image(items) -> None:
    defaults = arg_defaults(stages(items)[0])
    bases = [substitute(i.words()[0], defaults) for i in items if i.keyword == "FROM"]
    assert len(bases) >= 2, "a builder stage and a runtime stage"
    for base in bases:
        assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", base), base


def test_the_image_runs_as_a_numeric_non_root_user(items) -> None:
    user = last(final_stage(items), "USER").args
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) > 0, user
    # Kubernetes runs the pods as the same user (runAsUser) so volumes line up;
    # a kustomize patch (a component's) changes a Deployment and keeps its user.
    patches = {(k.parent / p["path"]).resolve()
               for k in (ROOT / "k8s").rglob("kustomization.yaml")
               for p in (yaml.safe_load(k.read_text()) or {}).get("patches", [])
               if isinstance(p, dict) and "path" in p}
    for path in sorted((ROOT / "k8s").rglob("*.yaml")):
        if path.resolve() in patches:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Deployment":
                pod = doc["spec"]["template"]["spec"]
                assert pod["securityContext"]["runAsUser"] == int(uid), path


def test_entrypoint_is_zenith_and_the_default_command_runs_a_service(items) -> None:
    stage = final_stage(items)
    assert last(stage, "ENTRYPOINT").words() == ["zenith"]
    cmd = last(stage, "CMD").words()
    assert cmd[0] == "run" and cmd[1] in SERVICES
    assert last(stage, "ENTRYPOINT").args.startswith("[")  # exec form: signals reach Python


def test_no_healthcheck_or_secret_is_baked_in(items) -> None:
    assert not [i for i in items if i.keyword == "HEALTHCHECK"]  # compose and k8s own probes
    for item in items:
        if item.keyword in ("ENV", "ARG", "LABEL"):
            names = re.findall(r"(\w+)=", item.args) or [item.args.split()[0]]
            for name in names:
                assert not SECRET_NAME.search(name), f"line {item.line}: {name}"


def test_copy_sources_exist_and_are_in_the_build_context(items, ignore) -> None:
    copies = [i for i in items if i.keyword in ("COPY", "ADD")]
    assert copies
    for item in copies:
        options, words = item.flags()
        if "from" in options:
            continue
        *sources, _dest = words
        for source in sources:
            path = ROOT / source
            assert path.exists(), f"line {item.line}: {source} does not exist"
            files = [path] if path.is_file() else [
                f for f in path.rglob("*")
                if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"]
            assert files, f"line {item.line}: {source} is empty"
            for f in files:
                relative = f.relative_to(ROOT).as_posix()
                assert not ignore.excluded(relative), f"{relative} is left out by .dockerignore"


def test_the_build_context_leaves_out_local_state(ignore) -> None:
    for path in (".venv/bin/python", ".git/HEAD", "var/metadata.db", "tests/conftest.py",
                 ".env", "bench/results/x.json", "libs/src/zenith/__pycache__/x.pyc",
                 "docs/bus.md", "k8s/base/web.yaml"):
        assert ignore.excluded(path), path
    assert not ignore.excluded("libs/src/zenith/cli/health.py")


def test_every_workspace_member_manifest_is_copied_before_uv_sync(items) -> None:
    builder = stages(items)[1]
    first_sync = next(n for n, i in enumerate(builder) if "uv sync" in i.args)
    copied = set()
    for item in builder[:first_sync]:
        if item.keyword == "COPY":
            copied.update(item.words()[:-1])
    assert {"pyproject.toml", "uv.lock"} <= copied
    for member in workspace_members():
        assert f"{member.relative_to(ROOT).as_posix()}/pyproject.toml" in copied, member


def test_uv_installs_exactly_the_lock_without_dev_tools(items) -> None:
    syncs = [i for i in items if i.keyword == "RUN" and "uv sync" in i.args]
    assert syncs
    for item in syncs:
        command = item.args[item.args.index("uv sync"):]
        assert "--locked" in command and "--no-dev" in command, item.line
    assert "--no-editable" in syncs[-1].args  # the runtime image needs the venv alone


def test_uv_is_the_version_that_wrote_the_lock(items) -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (uv,) = [p for p in lock["package"] if p["name"] == "uv"]
    builder = stages(items)[1]
    assert arg_defaults(builder)["UV_VERSION"] == uv["version"]


def test_services_arg_defaults_to_every_service(items) -> None:
    for stage in stages(items)[1:]:
        defaults = arg_defaults(stage)
        if "SERVICES" in defaults:
            assert sorted(defaults["SERVICES"].split()) == SERVICES


def test_data_folders_match_the_deployments(items) -> None:
    env = {}
    for item in final_stage(items):
        if item.keyword == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", item.args)))
    settings = next(
        doc for doc in yaml.safe_load_all((ROOT / "k8s" / "base" / "settings.yaml").read_text())
        if doc)["data"]
    compose_env = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-zenith-env"]
    for key in ("ZENITH_DATA_DIR", "ZENITH_BLOB_DIR"):
        assert env[key] == settings[key] == compose_env[key], key
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"  # the root filesystem is read-only


def test_the_health_probe_ships_in_the_image() -> None:
    spec = importlib.util.find_spec("zenith.cli.health")
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).resolve().is_relative_to(ROOT / "libs" / "src")
