"""docker-compose.yml: parses, every reference resolves, every variable is
documented, every service is checked for health (no Docker engine needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy.webroutes import public_pages
from zenith.bus.credentials import deployment_config, password_variable, user_of
from zenith.cli.health import build_parser
from zenith.config import Settings, load_settings
from zenith.contracts.services import service_names

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file())
HUB = {"products", "capture-ingest", "auth", "web", "sensors", "network"}
NODE = {"gpio", "capture"}
INFRA = {"nats", "mongo", "influxdb", "grafana"}
OPTIONAL = {"grafana": "grafana"}  # started only with its profile
# compose services that run a service under another name (capture on the hub)
SERVICE_OF = {"capture-ingest": "capture"}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|(^|_)KEY($|_)")


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation, for the forms the file uses; fails like compose on :?."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        value = env.get(name)
        if op == ":?" and not value:
            raise ValueError(f"required variable {name} is missing: {arg}")
        if op == ":-" and not value:
            return arg
        return value or ""

    return INTERPOLATION.sub(one, text.replace("$$", "\0")).replace("\0", "$")


@pytest.fixture(scope="module")
def raw() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    return _env_example()


@pytest.fixture(scope="module")
def compose(raw: str, example: dict[str, str]) -> dict[str, Any]:
    """The file as compose sees it with .env.example's defaults and made-up secrets."""
    env = {k: (v or f"test-value-for-{k.lower()}") for k, v in example.items()}
    return yaml.safe_load(interpolate(raw, env))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def service_of(name: str) -> str:
    return SERVICE_OF.get(name, name)


def zenith(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services.items() if (s.get("command") or [None])[0] == "run"}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of every volume; short and long syntax."""
    out = []
    for item in service.get("volumes") or []:
        if isinstance(item, str):
            source, target = item.split(":")[:2]
        else:
            source, target = item.get("source", ""), item["target"]
        out.append((source, target))
    return out


# ---- the file itself ---------------------------------------------------------------------------


def test_compose_parses_and_runs_the_expected_services(services) -> None:
    assert set(services) == INFRA | HUB | NODE


def test_each_zenith_service_runs_a_service_that_exists(services) -> None:
    assert {service_of(n) for n in zenith(services)} == set(SERVICES)
    for name, svc in zenith(services).items():
        assert svc["command"] == ["run", service_of(name)]
        assert (ROOT / "services" / service_of(name) / "pyproject.toml").is_file()


def test_hub_services_always_start_and_pi_services_need_the_node_profile(services) -> None:
    for name in (HUB | INFRA) - set(OPTIONAL):
        assert "profiles" not in services[name], name
    for name, profile in OPTIONAL.items():
        assert services[name]["profiles"] == [profile], name
    for name in NODE:
        assert services[name]["profiles"] == ["node"], name


def test_the_hub_runs_capture_as_frame_ingest_and_the_node_as_its_camera(services) -> None:
    hub = environment(services["capture-ingest"])
    assert hub["ZENITH_CAPTURE_HUB_INGEST"] == "true"
    assert "ZENITH_CAPTURE_HUB_INGEST" not in environment(services["capture"])
    blobs = dict(mounts(services["capture-ingest"]))
    assert blobs["blobs"] == hub["ZENITH_BLOB_DIR"]  # where web stages the uploads


def test_zenith_services_build_the_one_dockerfile(services) -> None:
    images = set()
    for name, svc in zenith(services).items():
        build = svc["build"]
        context = ROOT / build["context"]
        assert context.is_dir(), name
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        assert (context / build.get("dockerfile", "Dockerfile")).resolve() == ROOT / "Dockerfile"
        images.add(svc["image"])
    assert len(images) == 1


def test_every_service_restarts_and_has_a_healthcheck(services) -> None:
    for name, svc in services.items():
        assert svc["restart"] == "unless-stopped", name
        check = svc["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert not check.get("disable"), name


def test_zenith_healthchecks_run_the_health_module_for_their_own_service(services) -> None:
    parser = build_parser()
    for name, svc in zenith(services).items():
        test = svc["healthcheck"]["test"]
        assert test[:4] == ["CMD", "python", "-m", "zenith.cli.health"], name
        args = parser.parse_args(test[4:])
        assert args.service == service_of(name)
        assert not args.skip_bus


def test_web_healthcheck_also_loads_a_public_page_on_its_port(services) -> None:
    web = services["web"]
    args = build_parser().parse_args(web["healthcheck"]["test"][4:])
    env = environment(web)
    url = urlsplit(args.url)
    assert url.port == int(env["ZENITH_HTTP_PORT"])
    assert url.path in public_pages()
    published = [p for p in web["ports"] if str(p).endswith(f":{env['ZENITH_HTTP_PORT']}")]
    assert published


def test_depends_on_names_defined_services_with_healthchecks(services) -> None:
    for name, svc in services.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert "profiles" not in services[dep], f"{name} depends on optional {dep}"
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], dep


def test_zenith_services_wait_for_the_bus_and_the_stores(services) -> None:
    for name, svc in zenith(services).items():
        deps = svc["depends_on"]
        for infra in ("nats", "mongo", "influxdb"):
            assert deps[infra]["condition"] == "service_healthy", (name, infra)


# ---- volumes and files -------------------------------------------------------------------------


def test_named_volumes_are_declared_and_used(compose, services) -> None:
    declared = set(compose["volumes"])
    used = set()
    for name, svc in services.items():
        for source, _ in mounts(svc):
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
                used.add(source)
    assert used == declared


def test_every_mounted_repository_path_exists(services) -> None:
    for name, svc in services.items():
        for source, _ in mounts(svc):
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"


def test_zenith_services_share_the_blob_volume_at_the_blob_dir(services) -> None:
    for name, svc in zenith(services).items():
        env = environment(svc)
        targets = dict((t, s) for s, t in mounts(svc))
        assert targets[env["ZENITH_BLOB_DIR"]] == "blobs", name
        assert env["ZENITH_DATA_DIR"] in targets, name
        assert svc["read_only"] is True and "/tmp" in svc["tmpfs"], name
        assert svc["cap_drop"] == ["ALL"], name


def test_site_settings_file_is_valid(services) -> None:
    svc = services["web"]
    env = environment(svc)
    source = next(s for s, t in mounts(svc) if t == env["ZENITH_CONFIG"])
    path = ROOT / source
    tomllib.loads(path.read_text())
    load_settings(Settings, env={}, config_file=path)  # raises ConfigError when wrong


# ---- environment -------------------------------------------------------------------------------


def test_zenith_services_get_the_wiring_settings(services) -> None:
    expected = {
        "ZENITH_NATS_URL": "nats://nats:4222",
        "ZENITH_METADATA_URL": "mongodb://mongo:27017/zenith",
        "ZENITH_SERIES_URL": "influx+http://influxdb:8086/zenith",
        "ZENITH_LOG_FORMAT": "json",
        "ZENITH_METRICS_PORT": "9100",
    }
    for name, svc in zenith(services).items():
        env = environment(svc)
        for key, value in expected.items():
            assert env[key] == value, (name, key)
        for key in ("ZENITH_INFLUX_TOKEN", "ZENITH_BLOB_DIR", "ZENITH_DATA_DIR"):
            assert env[key], (name, key)
        site_file = next(s for s, t in mounts(svc) if t == env["ZENITH_CONFIG"])
        load_settings(Settings, env=env, config_file=ROOT / site_file)  # all valid
    assert environment(services["web"])["ZENITH_HTTP_HOST"] == "0.0.0.0"


def test_urls_name_services_of_this_file(services) -> None:
    env = environment(services["products"])
    for key in ("ZENITH_NATS_URL", "ZENITH_METADATA_URL", "ZENITH_SERIES_URL"):
        assert urlsplit(env[key]).hostname in services, key


def test_every_variable_is_documented_in_env_example(raw: str, example) -> None:
    used = {m.group(1) for m in INTERPOLATION.finditer(raw)}
    assert used == set(example), "documented but unused, or used but undocumented"


def test_required_variables_stop_compose_when_missing(raw: str, example) -> None:
    required = {m.group(1) for m in INTERPOLATION.finditer(raw) if m.group(2) == ":?"}
    bus = {password_variable(n) for n in ("admin", *service_names())}
    assert required == {"ZENITH_INFLUX_TOKEN", "ZENITH_INFLUX_PASSWORD",
                        "ZENITH_GRAFANA_PASSWORD", *bus}
    for name in required:
        env = {k: v or "set" for k, v in example.items()}
        env[name] = ""
        with pytest.raises(ValueError, match=name):
            interpolate(raw, env)


def test_no_secret_is_written_in_the_files(raw: str, example, services) -> None:
    for name, value in example.items():
        if SECRET_NAME.search(name):
            assert value == "", f".env.example gives {name} a value"
    plain = yaml.safe_load(raw)["services"]
    for svc_name, svc in plain.items():
        for key, value in environment(svc).items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):  # a path is no secret
                assert INTERPOLATION.fullmatch(value), f"{svc_name}: {key} is written in the file"


def test_dotenv_is_ignored_by_git() -> None:
    if not shutil.which("git") or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert result.returncode == 0


# ---- NATS, InfluxDB and Grafana ----------------------------------------------------------------


def test_nats_runs_jetstream_from_the_mounted_config(services) -> None:
    nats = services["nats"]
    config_target = nats["command"][nats["command"].index("--config") + 1]
    source = next(s for s, t in mounts(nats) if t == config_target)
    conf = (ROOT / source).read_text()
    store = re.search(r"jetstream\s*\{[^}]*store_dir:\s*(\S+)", conf)
    assert store, "JetStream enabled with a store_dir"
    volume = next(s for s, t in mounts(nats) if store.group(1).startswith(t))
    assert not volume.startswith(".")  # a named volume, not the repository
    monitor = int(re.search(r"^http_port:\s*(\d+)", conf, re.M).group(1))
    assert f":{monitor}/healthz" in " ".join(nats["healthcheck"]["test"])
    client = int(re.search(r"^port:\s*(\d+)", conf, re.M).group(1))
    assert urlsplit(environment(services["products"])["ZENITH_NATS_URL"]).port == client


def test_influxdb_is_set_up_with_the_bucket_the_services_use(services) -> None:
    env = environment(services["influxdb"])
    assert env["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    for key in ("USERNAME", "PASSWORD", "ORG", "BUCKET", "RETENTION", "ADMIN_TOKEN"):
        assert env[f"DOCKER_INFLUXDB_INIT_{key}"], key
    series = urlsplit(environment(services["products"])["ZENITH_SERIES_URL"])
    assert series.path.strip("/") == env["DOCKER_INFLUXDB_INIT_BUCKET"] == "zenith"
    assert env["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"] == \
        environment(services["products"])["ZENITH_INFLUX_TOKEN"]


def test_grafana_provisions_influxql_with_the_token_from_its_environment(services) -> None:
    grafana = services["grafana"]
    provisioning = next(s for s, t in mounts(grafana) if t == "/etc/grafana/provisioning")
    files = sorted((ROOT / provisioning / "datasources").glob("*.yaml"))
    assert files
    sources = [ds for f in files for ds in yaml.safe_load(f.read_text())["datasources"]]
    (influx,) = [ds for ds in sources if ds["type"] == "influxdb"]
    url = urlsplit(influx["url"])
    assert url.hostname == "influxdb" and url.hostname in services
    assert influx["jsonData"]["version"] == "InfluxQL"
    bucket = environment(services["influxdb"])["DOCKER_INFLUXDB_INIT_BUCKET"]
    assert influx["jsonData"]["dbName"] == bucket
    assert influx["jsonData"]["httpHeaderName1"] == "Authorization"
    header = influx["secureJsonData"]["httpHeaderValue1"]
    match = re.fullmatch(r"Token \$\{(\w+)\}", header)
    assert match, "the token is read from Grafana's environment, not written in the file"
    assert environment(grafana)[match.group(1)] == \
        environment(services["influxdb"])["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"]


def test_each_service_is_its_own_bus_user_and_nats_loads_the_users(services) -> None:
    """The bus has credentials: nats-server includes deploy/nats/auth.conf (current with
    the contracts), and every Zenith service connects as its own user."""
    assert (ROOT / "deploy" / "nats" / "auth.conf").read_text() == deployment_config(), \
        "deploy/nats/auth.conf is stale: run python -m zenith.bus.credentials --write"
    nats = services["nats"]
    assert "include ./auth.conf" in (ROOT / "deploy" / "nats" / "nats-server.conf").read_text()
    assert any(t == "/etc/nats/auth.conf" for _, t in mounts(nats))
    for name in ("admin", *service_names()):
        assert password_variable(name) in environment(nats)
    for name, svc in zenith(services).items():
        env = environment(svc)
        assert env["ZENITH_NATS_USER"] == user_of(service_of(name)), name
        assert password_variable(service_of(name)).lower() in \
            env["ZENITH_NATS_PASSWORD"].lower(), name
    key = environment(services["auth"])["ZENITH_AUTH_SIGNING_KEY_FILE"]
    volume = next(s for s, t in mounts(services["auth"]) if t == str(Path(key).parent))
    holders = [n for n, svc in services.items() if any(s == volume for s, _ in mounts(svc))]
    assert holders == ["auth"]  # only auth mounts the signing key's volume
