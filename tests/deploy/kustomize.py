"""Render Zenith's kustomizations without a kustomize binary.

It does what ``kubectl kustomize`` does for the features ``k8s/`` uses:
``resources`` (files and folders), ``components`` (``kind: Component``)
and ``namespace``. Any other field in a kustomization is refused, so a new
feature in ``k8s/`` fails the tests until this renderer learns it (and the
cross-check against ``kubectl kustomize``, where installed, agrees).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]

KUSTOMIZATION = ("kustomize.config.k8s.io/v1beta1", "Kustomization")
COMPONENT = ("kustomize.config.k8s.io/v1alpha1", "Component")
SUPPORTED_FIELDS = {"apiVersion", "kind", "namespace", "resources", "components"}
CLUSTER_SCOPED = {
    "Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "PriorityClass", "IngressClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}


class RenderError(Exception):
    """A kustomization this renderer cannot (or must not) render."""


def load_documents(path: Path) -> list[Manifest]:
    """The non-empty YAML documents of one manifest file."""
    with path.open(encoding="utf-8") as fh:
        docs = [doc for doc in yaml.safe_load_all(fh) if doc]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise RenderError(f"{path}: every document must be a Kubernetes object")
    return docs


def resource_id(doc: Manifest) -> tuple[str, str, str]:
    meta = doc.get("metadata") or {}
    return doc["kind"], meta.get("namespace", ""), meta.get("name", "")


def _kustomization(directory: Path) -> dict[str, Any]:
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise RenderError(f"{directory} has no kustomization.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(data) - SUPPORTED_FIELDS
    if unknown:
        raise RenderError(f"{path}: fields this renderer does not implement: "
                          f"{', '.join(sorted(unknown))}")
    return data


def render_spec(data: dict[str, Any], directory: Path,
                expected: tuple[str, str] = KUSTOMIZATION) -> list[Manifest]:
    """Render a kustomization given as data, its paths relative to ``directory``."""
    kind = (data.get("apiVersion"), data.get("kind"))
    if kind != expected:
        raise RenderError(f"{directory}: expected {expected[1]} ({expected[0]}), got {kind}")
    out: list[Manifest] = []
    for entry in data.get("resources") or []:
        target = (directory / entry).resolve()
        if target.is_dir():
            out.extend(render(target))
        elif target.is_file():
            out.extend(load_documents(target))
        else:
            raise RenderError(f"{directory}: resource {entry} does not exist")
    for entry in data.get("components") or []:
        target = (directory / entry).resolve()
        out.extend(render_spec(_kustomization(target), target, COMPONENT))
    namespace = data.get("namespace")
    if namespace:
        for doc in out:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = namespace
    seen: set[tuple[str, str, str]] = set()
    for doc in out:
        rid = resource_id(doc)
        if rid in seen:
            raise RenderError(f"{directory}: {rid} is defined twice")
        seen.add(rid)
    return out


def render(directory: Path) -> list[Manifest]:
    """Render the kustomization in ``directory``."""
    return render_spec(_kustomization(directory), directory)


def composition(base: Path, components: Iterable[Path], where: Path,
                namespace: str = "zenith") -> dict[str, Any]:
    """An overlay in ``where`` made of ``base`` and ``components`` (relative paths).

    Like every overlay it names the namespace: a component's resources are
    added at the overlay, where the base's namespace does not reach them."""
    return {
        "apiVersion": KUSTOMIZATION[0], "kind": KUSTOMIZATION[1],
        "namespace": namespace,
        "resources": [os.path.relpath(base, where)],
        "components": [os.path.relpath(c, where) for c in components],
    }


def kubectl_kustomize(directory: Path) -> list[Manifest] | None:
    """``kubectl kustomize`` (or ``kustomize build``) output; None when neither is installed."""
    if shutil.which("kubectl"):
        cmd = ["kubectl", "kustomize", str(directory)]
    elif shutil.which("kustomize"):
        cmd = ["kustomize", "build", str(directory)]
    else:
        return None
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RenderError(f"{' '.join(cmd)} failed: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_id(docs: Iterable[Manifest]) -> dict[tuple[str, str, str], Manifest]:
    return {resource_id(doc): doc for doc in docs}
