"""k8s/: every composition renders, validates against the Kubernetes schemas,
and wires up: probes, limits, hardening, references, the NATS cluster."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.deploy.kustomize import (
    Manifest,
    RenderError,
    by_id,
    composition,
    kubectl_kustomize,
    load_documents,
    render,
    render_spec,
)
from tests.deploy.webroutes import public_pages
from zenith.cli.health import build_parser

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
BASE = K8S / "base"
COMPONENTS = K8S / "components"
SECRETS_EXAMPLE = K8S / "secrets.example.yaml"
KUBERNETES_VERSION = "1.30"
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file())
HUB = {"products", "capture-ingest", "auth", "web", "sensors", "network"}
NODE = {"gpio", "capture"}
# Hub services the node component moves onto the camera's Pi (by a patch)
MOVED_TO_NODE = {"sensors"}
# The host groups owning the Pi's device nodes (Raspberry Pi OS) and the
# device plugin's names for them
GPIO_GROUP, I2C_GROUP = 997, 998
GPIOCHIP, I2C_BUS = "smarter-devices/gpiochip0", "smarter-devices/i2c-1"
# Deployments that run a service under another name (capture on the hub)
SERVICE_OF = {"capture-ingest": "capture"}

COMPOSITIONS: dict[str, list[str]] = {
    "base": [],
    "node": ["node"],
    "mongodb": ["mongodb"],
    "influxdb": ["influxdb"],
    "standalone": ["mongodb", "influxdb"],
    "everything": ["node", "mongodb", "influxdb"],
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}


def compose(components: list[str]) -> list[Manifest]:
    spec = composition(BASE, [COMPONENTS / c for c in components], K8S)
    return render_spec(spec, K8S)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Manifest]]:
    return {name: compose(parts) for name, parts in COMPOSITIONS.items()}


@pytest.fixture(scope="module")
def external_secrets() -> dict[str, set[str]]:
    """Secrets the manifests expect to exist already: name -> keys."""
    return {doc["metadata"]["name"]: set(doc.get("stringData") or {})
            for doc in load_documents(SECRETS_EXAMPLE) if doc["kind"] == "Secret"}


def of_kind(docs: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(doc: Manifest) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]


def containers(doc: Manifest) -> list[dict[str, Any]]:
    spec = pod_spec(doc)
    return list(spec.get("initContainers") or []) + list(spec["containers"])


def zenith_deployments(docs: list[Manifest]) -> dict[str, Manifest]:
    return {name: d for name, d in of_kind(docs, "Deployment").items()
            if d["spec"]["template"]["spec"]["containers"][0]["image"].startswith("zenith:")}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# ---- rendering -------------------------------------------------------------------------------


def test_each_component_is_a_kustomize_component() -> None:
    for path in sorted(COMPONENTS.iterdir()):
        data = yaml.safe_load((path / "kustomization.yaml").read_text())
        assert data["kind"] == "Component", path


def test_the_standalone_overlay_is_base_with_both_databases(rendered) -> None:
    assert by_id(render(K8S / "overlays" / "standalone")) == by_id(rendered["standalone"])


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_renders_as_kubectl_kustomize_does(name: str, tmp_path: Path, rendered) -> None:
    where = tmp_path / "overlay"
    where.mkdir()
    spec = composition(BASE, [COMPONENTS / c for c in COMPOSITIONS[name]], where)
    (where / "kustomization.yaml").write_text(yaml.safe_dump(spec))
    theirs = kubectl_kustomize(where)
    if theirs is None:
        pytest.skip("neither kubectl nor kustomize is installed; the renderer alone is checked")
    assert by_id(theirs) == by_id(rendered[name])


def test_renderer_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [], "images": [{"name": "zenith", "newTag": "1"}]}))
    with pytest.raises(RenderError, match="images"):
        render(tmp_path)


def _patched(tmp_path: Path, patch: Any) -> list[Manifest]:
    (tmp_path / "d.yaml").write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "i", "args": ["1", "2"],
             "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"},
                     {"name": "C", "value": "3"}]},
            {"name": "b", "image": "j"}]}}}}))
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": ["d.yaml"], "patches": [{"patch": yaml.safe_dump(patch)}]}))
    return render(tmp_path)


def test_renderer_applies_strategic_merge_patches_as_kubectl_does(tmp_path: Path) -> None:
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
             "spec": {"replicas": 1, "template": {"spec": {"containers": [
                 {"name": "b", "image": "k"},
                 {"name": "a", "args": ["3"], "image": None,
                  "env": [{"name": "D", "value": "4"}, {"name": "B", "value": "9"}]}]}}}}
    (ours,) = _patched(tmp_path, patch)
    a, b = ours["spec"]["template"]["spec"]["containers"][::-1]
    assert ours["spec"]["replicas"] == 1
    assert b == {"name": "b", "image": "k"}
    assert "image" not in a and a["args"] == ["3"]  # null removes, a plain list is replaced
    assert [(e["name"], e["value"]) for e in a["env"]] == \
        [("D", "4"), ("B", "9"), ("A", "1"), ("C", "3")]  # merged by name, patch first
    theirs = kubectl_kustomize(tmp_path)
    if theirs is not None:
        assert theirs == [ours]


@pytest.mark.parametrize("patch, error", [
    ([{"op": "add", "path": "/spec/replicas", "value": 2}], "JSON 6902"),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "y"}}, "matches 0"),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
      "spec": {"$patch": "replace"}}, "directives"),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
      "spec": {"template": {"spec": {"containers": [{"image": "z"}]}}}}, "needs its name"),
])
def test_renderer_refuses_patches_it_does_not_implement(tmp_path: Path, patch: Any,
                                                        error: str) -> None:
    with pytest.raises(RenderError, match=error):
        _patched(tmp_path, patch)


# ---- schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_every_manifest_validates_against_kubernetes_schemas(name: str, rendered) -> None:
    for doc in rendered[name]:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_secret_template_validates_and_holds_no_value() -> None:
    docs = load_documents(SECRETS_EXAMPLE)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert doc["kind"] == "Secret"
        assert "data" not in doc
        assert all(value == "" for value in doc["stringData"].values()), doc["metadata"]["name"]


def test_no_kustomization_creates_a_secret(rendered) -> None:
    for docs in rendered.values():
        assert not of_kind(docs, "Secret")


# ---- what runs where -------------------------------------------------------------------------


def test_base_runs_the_hub_services_and_node_adds_the_pi_services(rendered) -> None:
    assert set(zenith_deployments(rendered["base"])) == HUB
    assert set(zenith_deployments(rendered["node"])) == HUB | NODE
    assert {SERVICE_OF.get(n, n) for n in zenith_deployments(rendered["everything"])} == \
        set(SERVICES)


def test_the_hub_runs_capture_as_frame_ingest_on_the_shared_blobs(rendered) -> None:
    dep = zenith_deployments(rendered["base"])["capture-ingest"]
    (c,) = pod_spec(dep)["containers"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["ZENITH_CAPTURE_HUB_INGEST"] == "true"
    assert env["ZENITH_NATS_USER"] == "zenith-capture"
    assert "nodeSelector" not in pod_spec(dep)  # anywhere in the cluster, unlike the Pi's
    node = zenith_deployments(rendered["node"])["capture"]
    names = {e["name"] for e in pod_spec(node)["containers"][0]["env"]}
    assert "ZENITH_CAPTURE_HUB_INGEST" not in names


def test_databases_are_opt_in_components(rendered) -> None:
    assert set(of_kind(rendered["base"], "StatefulSet")) == {"nats"}
    assert set(of_kind(rendered["standalone"], "StatefulSet")) == {"nats", "mongodb", "influxdb"}


def test_everything_lives_in_the_zenith_namespace(rendered) -> None:
    for doc in (*rendered["everything"], *render(K8S / "overlays" / "standalone")):
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == "zenith"
        else:
            assert doc["metadata"]["namespace"] == "zenith", doc["metadata"]["name"]


# ---- the Zenith deployments ------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployments(rendered) -> dict[str, Manifest]:
    return zenith_deployments(rendered["everything"])


def test_each_deployment_runs_its_own_service_from_the_one_image(deployments) -> None:
    images = set()
    for name, dep in deployments.items():
        (container,) = pod_spec(dep)["containers"]
        images.add(container["image"])
        assert container["name"] == name
        assert container["args"] == ["run", SERVICE_OF.get(name, name)]
        assert "command" not in container  # the image's ENTRYPOINT is `zenith`
        assert [list(ref) for ref in container["envFrom"]] == [["configMapRef"], ["secretRef"]]
        assert container["envFrom"][0]["configMapRef"]["name"] == "zenith-settings"
        assert container["envFrom"][1]["secretRef"]["name"] == "zenith-secrets"
    assert len(images) == 1


def test_every_container_has_probes_and_resource_limits(rendered) -> None:
    for dep in (*of_kind(rendered["everything"], "Deployment").values(),
                *of_kind(rendered["everything"], "StatefulSet").values()):
        for c in containers(dep):
            where = f"{dep['metadata']['name']}/{c['name']}"
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in c, f"{where} has no {probe}"
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][bound]), f"{where} {bound}"


def test_every_pod_is_hardened(rendered) -> None:
    for dep in (*of_kind(rendered["everything"], "Deployment").values(),
                *of_kind(rendered["everything"], "StatefulSet").values()):
        pod = pod_spec(dep)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        for c in containers(dep):
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert "add" not in sc["capabilities"]
            assert not sc.get("privileged")


def test_zenith_containers_have_a_read_only_root_and_a_writable_tmp(deployments) -> None:
    for name, dep in deployments.items():
        pod = pod_spec(dep)
        (c,) = pod["containers"]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert c["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001  # the image's USER
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name
        assert "/var/lib/zenith/data" in mounts, name


def test_services_that_keep_images_share_the_blob_volume(deployments, rendered) -> None:
    settings = of_kind(rendered["base"], "ConfigMap")["zenith-settings"]["data"]
    for name in ("capture", "capture-ingest", "products", "web"):
        pod = pod_spec(deployments[name])
        mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
                  for v in pod["volumes"] if "persistentVolumeClaim" in v}
        blob_volume = next(n for n, path in mounts.items() if path == settings["ZENITH_BLOB_DIR"])
        assert claims[blob_volume] == "zenith-blobs"
    pvc = of_kind(rendered["base"], "PersistentVolumeClaim")["zenith-blobs"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


def test_services_are_probed_with_the_health_module(deployments) -> None:
    parser = build_parser()
    for name, dep in deployments.items():
        c = pod_spec(dep)["containers"][0]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if name == "web" and probe != "readinessProbe":
                assert c[probe]["tcpSocket"] == {"port": "http"}
                continue
            command = c[probe]["exec"]["command"]
            assert command[:3] == ["python", "-m", "zenith.cli.health"], (name, probe)
            args = parser.parse_args(command[3:])
            assert args.service == SERVICE_OF.get(name, name)
            # A NATS outage must not restart every service: liveness stays local.
            assert args.skip_bus is (probe != "readinessProbe"), (name, probe)


def test_web_listens_on_every_address_and_is_ready_when_a_page_renders(deployments) -> None:
    c = pod_spec(deployments["web"])["containers"][0]
    env = {e["name"]: e.get("value") for e in c["env"]}
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert env["ZENITH_HTTP_HOST"] == "0.0.0.0"
    assert int(env["ZENITH_HTTP_PORT"]) == ports["http"]
    args = build_parser().parse_args(c["readinessProbe"]["exec"]["command"][3:])
    url = urlsplit(args.url)
    assert url.port == ports["http"]
    assert url.path in public_pages()


def test_pi_services_run_only_on_the_camera_node_one_at_a_time(deployments) -> None:
    for name in NODE | MOVED_TO_NODE:
        dep = deployments[name]
        assert dep["spec"]["replicas"] == 1
        assert dep["spec"]["strategy"]["type"] == "Recreate"
        assert pod_spec(dep)["nodeSelector"] == {"zenith/camera-node": "true"}


# ---- references ------------------------------------------------------------------------------


def _workload_pods(docs: list[Manifest]) -> list[tuple[Manifest, dict[str, str]]]:
    return [(d, d["spec"]["template"]["metadata"]["labels"]) for d in docs
            if d["kind"] in WORKLOADS]


def _named_ports(workload: Manifest) -> set[str]:
    return {p["name"] for c in containers(workload) for p in c.get("ports") or [] if "name" in p}


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_every_reference_resolves(name: str, rendered, external_secrets) -> None:
    docs = rendered[name]
    configmaps = {n: set(d.get("data") or {}) for n, d in of_kind(docs, "ConfigMap").items()}
    claims = set(of_kind(docs, "PersistentVolumeClaim"))
    services = of_kind(docs, "Service")
    pods = _workload_pods(docs)
    for workload, _ in pods:
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        spec = pod_spec(workload)
        claim_templates = workload["spec"].get("volumeClaimTemplates") or []
        templates = {t["metadata"]["name"] for t in claim_templates}
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        for v in volumes.values():
            if "configMap" in v:
                assert v["configMap"]["name"] in configmaps, where
            if "persistentVolumeClaim" in v:
                assert v["persistentVolumeClaim"]["claimName"] in claims, where
            if "secret" in v:
                assert v["secret"]["secretName"] in external_secrets, where
        for c in containers(workload):
            for m in c.get("volumeMounts") or []:
                assert m["name"] in volumes or m["name"] in templates, f"{where}: {m['name']}"
            for ref in c.get("envFrom") or []:
                if "configMapRef" in ref:
                    assert ref["configMapRef"]["name"] in configmaps, where
                if "secretRef" in ref:
                    assert ref["secretRef"]["name"] in external_secrets, where
            for env in c.get("env") or []:
                source = env.get("valueFrom") or {}
                if "secretKeyRef" in source:
                    ref = source["secretKeyRef"]
                    assert ref["key"] in external_secrets.get(ref["name"], set()), where
                if "configMapKeyRef" in source:
                    ref = source["configMapKeyRef"]
                    assert ref["key"] in configmaps.get(ref["name"], set()), where
            ports = {p["name"] for p in c.get("ports") or [] if "name" in p}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                action = c.get(probe, {}).get("httpGet") or c.get(probe, {}).get("tcpSocket")
                if action and isinstance(action["port"], str):
                    assert action["port"] in ports, f"{where} {probe}"
        if workload["kind"] == "StatefulSet":
            governing = services[workload["spec"]["serviceName"]]
            assert governing["spec"]["clusterIP"] == "None", where
    for svc_name, svc in services.items():
        matched = [w for w, labels in pods if selects(svc["spec"]["selector"], labels)]
        assert matched, f"Service {svc_name} selects no pod"
        for port in svc["spec"]["ports"]:
            if isinstance(port.get("targetPort"), str):
                assert all(port["targetPort"] in _named_ports(w) for w in matched), svc_name
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        for obj_name, obj in of_kind(docs, kind).items():
            selector = (obj["spec"].get("selector") or obj["spec"]["podSelector"])["matchLabels"]
            matched = [w for w, labels in pods if selects(selector, labels)]
            assert matched, f"{kind} {obj_name} selects no pod"
            for rule in obj["spec"].get("ingress") or []:
                for port in rule.get("ports") or []:
                    if isinstance(port["port"], str):
                        assert all(port["port"] in _named_ports(w) for w in matched), obj_name
    for ingress in of_kind(docs, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports


def _url_host_port(url: str) -> tuple[str, int]:
    match = re.fullmatch(r"[a-z+]+://([^/:]+):(\d+)(/.*)?", url)
    assert match, url
    return match.group(1), int(match.group(2))


def test_settings_name_services_the_compositions_provide(rendered) -> None:
    docs = rendered["standalone"]
    settings = of_kind(docs, "ConfigMap")["zenith-settings"]["data"]
    services = of_kind(docs, "Service")
    for key in ("ZENITH_NATS_URL", "ZENITH_METADATA_URL", "ZENITH_SERIES_URL"):
        host, port = _url_host_port(settings[key])
        assert port in {p["port"] for p in services[host]["spec"]["ports"]}, key
    # Without the database components those two names are the operator's to provide.
    base_services = of_kind(rendered["base"], "Service")
    assert "mongodb" not in base_services and "influxdb" not in base_services
    assert settings["ZENITH_METADATA_URL"].endswith("/zenith")
    assert settings["ZENITH_SERIES_URL"].endswith("/zenith")


def test_metrics_port_matches_the_containers(deployments, rendered) -> None:
    settings = of_kind(rendered["base"], "ConfigMap")["zenith-settings"]["data"]
    for dep in deployments.values():
        template = dep["spec"]["template"]
        ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
        assert ports["metrics"] == int(settings["ZENITH_METRICS_PORT"])
        assert template["metadata"]["annotations"]["prometheus.io/port"] == \
            settings["ZENITH_METRICS_PORT"]
    assert settings["ZENITH_METRICS_HOST"] == "0.0.0.0"


# ---- NATS ------------------------------------------------------------------------------------


def test_nats_is_a_three_node_jetstream_cluster(rendered) -> None:
    docs = rendered["base"]
    sts = of_kind(docs, "StatefulSet")["nats"]
    assert sts["spec"]["replicas"] == 3
    headless = of_kind(docs, "Service")[sts["spec"]["serviceName"]]
    assert headless["spec"]["publishNotReadyAddresses"] is True
    (c,) = pod_spec(sts)["containers"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert {p["name"] for p in headless["spec"]["ports"]} >= {"client", "cluster"}

    # The config file in args is the mounted ConfigMap.
    config_path = Path(c["args"][c["args"].index("--config") + 1])
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    config_volume = mounts[str(config_path.parent)]
    volume = next(v for v in pod_spec(sts)["volumes"] if v["name"] == config_volume)
    conf = of_kind(docs, "ConfigMap")[volume["configMap"]["name"]]["data"][config_path.name]

    # Each server is named after its pod.
    assert re.search(r"^server_name:\s*\$SERVER_NAME\s*$", conf, re.M)
    env = {e["name"]: e for e in c["env"]}
    assert env["SERVER_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"

    # JetStream keeps its store on the pod's own volume.
    store = re.search(r"jetstream\s*\{[^}]*store_dir:\s*(\S+)", conf)
    assert store, "jetstream block with a store_dir"
    templates = {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
    store_mount = next(path for path, name in mounts.items()
                       if store.group(1).startswith(path))
    assert mounts[store_mount] in templates

    # The cluster block routes to every replica through the headless service.
    cluster = re.search(r"cluster\s*\{(.*?)\n\}", conf, re.S)
    assert cluster, "cluster block"
    assert re.search(r"^\s*name:\s*\S+", cluster.group(1), re.M)
    cluster_port = int(re.search(r"^\s*port:\s*(\d+)", cluster.group(1), re.M).group(1))
    assert cluster_port == ports["cluster"]
    routes = set(re.findall(r"nats://(\S+)", cluster.group(1)))
    assert routes == {f"nats-{i}.{headless['metadata']['name']}:{cluster_port}" for i in range(3)}

    # Clients and monitoring.
    assert int(re.search(r"^port:\s*(\d+)", conf, re.M).group(1)) == ports["client"]
    assert int(re.search(r"^http_port:\s*(\d+)", conf, re.M).group(1)) == ports["monitor"]
    assert of_kind(docs, "PodDisruptionBudget")["nats"]["spec"]["maxUnavailable"] == 1


# ---- the overlay example in docs/deploy.md ---------------------------------------------------


def test_the_documented_overlay_example_renders(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    match = re.search(r"```yaml\n# my-zenith/kustomization\.yaml\n(.*?)```", text, re.S)
    assert match, "docs/deploy.md shows an overlay"
    (tmp_path / "zenith").symlink_to(ROOT, target_is_directory=True)
    overlay = tmp_path / "my-zenith"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(match.group(1))
    docs = kubectl_kustomize(overlay)  # patches and images: kubectl's job, not the renderer's
    if docs is None:
        pytest.skip("neither kubectl nor kustomize is installed")
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "zenith"
    assert not zenith_deployments(docs), "the overlay's image replaces zenith:<version>"
    images = {c["image"] for d in of_kind(docs, "Deployment").values() for c in containers(d)}
    assert "registry.example.org/zenith:0.1.0" in images


def test_the_bus_has_a_user_per_service_and_only_auth_holds_the_signing_key(rendered) -> None:
    """nats-server loads auth.conf (the contracts' users, as deploy/nats/auth.conf) with
    the passwords of the zenith-nats Secret; each service is its own bus user; the
    token signing key is a Secret only the auth replicas mount."""
    from zenith.bus.credentials import deployment_config, password_variable, user_of

    docs = rendered["everything"]
    config = of_kind(docs, "ConfigMap")["nats-config"]["data"]
    assert config["auth.conf"] == deployment_config(), \
        "k8s/base/nats.yaml's auth.conf is stale: run python -m zenith.bus.credentials --write"
    assert "include ./auth.conf" in config["nats-server.conf"]
    [nats] = containers(of_kind(docs, "StatefulSet")["nats"])
    assert {"secretRef": {"name": "zenith-nats"}} in nats["envFrom"]
    for name, deployment in zenith_deployments(docs).items():
        env = {e["name"]: e for e in containers(deployment)[-1].get("env", [])}
        service = SERVICE_OF.get(name, name)
        assert env["ZENITH_NATS_USER"]["value"] == user_of(service), name
        ref = env["ZENITH_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "zenith-nats", "key": password_variable(service)}, name
    holders = [name for name, d in of_kind(docs, "Deployment").items()
               if any((v.get("secret") or {}).get("secretName") == "zenith-auth-signing-key"
                      for v in pod_spec(d).get("volumes", []))]
    assert holders == ["auth"]


# ---- the camera's devices --------------------------------------------------------------------


def test_the_node_component_moves_sensors_to_the_pi_with_its_i2c_bus(rendered) -> None:
    hub = zenith_deployments(rendered["base"])["sensors"]
    node = zenith_deployments(rendered["node"])["sensors"]
    assert "nodeSelector" not in pod_spec(hub)  # a hub's sensors run anywhere
    assert pod_spec(node)["nodeSelector"] == {"zenith/camera-node": "true"}
    assert node["spec"]["replicas"] == 1 and node["spec"]["strategy"]["type"] == "Recreate"
    (h,), (c,) = pod_spec(hub)["containers"], pod_spec(node)["containers"]
    # The same image, command, probes, mounts and hardening as the base's
    for field in ("image", "args", "envFrom", "startupProbe", "livenessProbe",
                  "readinessProbe", "volumeMounts", "securityContext", "ports"):
        assert c.get(field) == h.get(field), field
    assert "command" not in c
    assert pod_spec(node)["volumes"] == pod_spec(hub)["volumes"]
    pod_security = dict(pod_spec(node)["securityContext"])
    assert pod_security.pop("supplementalGroups") == [I2C_GROUP]
    assert pod_security == pod_spec(hub)["securityContext"]
    assert c["resources"]["limits"][I2C_BUS] == "1"
    assert {k: v for k, v in c["resources"]["limits"].items() if k != I2C_BUS} == \
        h["resources"]["limits"]
    env = {e["name"]: e for e in c["env"]}
    assert env["ZENITH_SENSORS_BACKEND"]["value"] == "hardware"  # real drivers, not simulated
    assert env["ZENITH_SENSORS_DISK_PATH"]["value"] == "/var/lib/zenith/data"
    hub_env = {e["name"]: e.get("value") for e in h["env"]}
    assert hub_env["ZENITH_SENSORS_HUB_ALERTS"] == "true"  # every uploading camera's alerts
    assert env["ZENITH_SENSORS_HUB_ALERTS"]["value"] == "false"  # the camera's own
    assert {k: v for k, v in env.items() if not k.startswith("ZENITH_SENSORS_")} == \
        {e["name"]: e for e in h["env"] if not e["name"].startswith("ZENITH_SENSORS_")}
    # The drivers' default paths are the sysfs the runtime mounts read-only in the
    # container: 1-wire and IIO need no volume.
    from zenith_sensors.settings import SensorsSettings
    fields = SensorsSettings.model_fields
    for name in ("sensors_onewire_dir", "sensors_iio_dir", "sensors_thermal_zone"):
        assert str(fields[name].default).startswith("/sys/"), name


def test_the_pi_pods_get_their_devices_unprivileged(rendered) -> None:
    deps = zenith_deployments(rendered["node"])
    wanted = {"gpio": ({GPIOCHIP, I2C_BUS}, [GPIO_GROUP, I2C_GROUP]),
              "sensors": ({I2C_BUS}, [I2C_GROUP]), "capture": (set(), None)}
    for name, (devices, groups) in wanted.items():
        pod = pod_spec(deps[name])
        (c,) = pod["containers"]
        plugin = {k for k in c["resources"]["limits"] if k.startswith("smarter-devices/")}
        assert plugin == devices, name
        assert pod["securityContext"].get("supplementalGroups") == groups, name
        assert not c["securityContext"].get("privileged"), name
        assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}, name
        # no hostPath: the namespace enforces the restricted Pod Security Standard
        assert all(set(v) & {"emptyDir", "persistentVolumeClaim"} for v in pod["volumes"]), name
    namespace = of_kind(rendered["node"], "Namespace")["zenith"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
