"""Render Zenith's kustomizations without a kustomize binary.

It does what ``kubectl kustomize`` does for the features ``k8s/`` uses:
``resources`` (files and folders), ``components`` (``kind: Component``),
``namespace`` and ``patches`` that are strategic-merge patches (a file or
inline text holding one object, matched by kind and name; lists merged by
the Kubernetes merge keys of :data:`MERGE_KEYS`). Any other field in a
kustomization is refused, so a new feature in ``k8s/`` fails the tests until
this renderer learns it (and the cross-check against ``kubectl kustomize``,
where installed, agrees).
"""

from __future__ import annotations

import copy
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
SUPPORTED_FIELDS = {"apiVersion", "kind", "namespace", "resources", "components", "patches"}
# Lists of objects that a strategic-merge patch merges item by item (the
# patchMergeKey of the Kubernetes API types these manifests use); any other
# list is replaced whole, as kustomize does.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
    "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name",
}
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
        component = _kustomization(target)
        # A component's patches apply to everything gathered so far, its own
        # resources included (the parent's resources are its input).
        out.extend(render_spec({**component, "patches": []}, target, COMPONENT))
        apply_patches(out, component.get("patches") or [], target)
    if expected == KUSTOMIZATION:
        apply_patches(out, data.get("patches") or [], directory)
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


def strategic_merge(original: Any, patch: Any, key: str = "") -> Any:
    """``patch`` merged into ``original`` (a new value; neither is changed).

    Maps merge key by key, a ``null`` removes the key; lists of objects named
    in :data:`MERGE_KEYS` merge item by item on their key (the patch's items
    first, then the original's others, as kustomize orders them); any other
    value or list replaces the original. Directives
    (``$patch``, ``$retainKeys``, ``$setElementOrder``...) are refused."""
    if isinstance(patch, dict):
        directives = [k for k in patch if isinstance(k, str) and k.startswith("$")]
        if directives:
            raise RenderError(f"strategic-merge directives not implemented: {directives}")
        merged = dict(original) if isinstance(original, dict) else {}
        for k, v in patch.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = strategic_merge(merged.get(k), v, k)
        return merged
    if isinstance(patch, list) and key in MERGE_KEYS and isinstance(original, list):
        field = MERGE_KEYS[key]
        if not all(isinstance(item, dict) and field in item for item in patch):
            raise RenderError(f"{key}: every patched item needs its {field}")
        olds = {item.get(field): item for item in original if isinstance(item, dict)}
        # kustomize's order: the patch's items first, then the original's others.
        patched = [strategic_merge(olds.get(item[field]), item) for item in patch]
        keys = {item[field] for item in patch}
        rest = [copy.deepcopy(item) for item in original
                if not (isinstance(item, dict) and item.get(field) in keys)]
        return patched + rest
    return copy.deepcopy(patch)


def _patch_documents(entry: Any, directory: Path) -> list[Manifest]:
    if not isinstance(entry, dict) or set(entry) - {"path", "patch"} or len(entry) != 1:
        raise RenderError(f"{directory}: a patch is {{path: file}} or {{patch: text}} "
                          f"(targets and options are not implemented): {entry}")
    if "path" in entry:
        text = (directory / entry["path"]).read_text(encoding="utf-8")
    else:
        text = entry["patch"]
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    if not docs or not all(isinstance(d, dict) and "kind" in d for d in docs):
        raise RenderError(f"{directory}: only strategic-merge patches (one object each) "
                          f"are implemented, not JSON 6902 lists: {entry}")
    return docs


def apply_patches(docs: list[Manifest], entries: Iterable[Any], directory: Path) -> None:
    """Apply strategic-merge patches to ``docs`` in place, each to the one
    resource of its kind and name (and namespace, when the patch names one)."""
    for entry in entries:
        for patch in _patch_documents(entry, directory):
            meta = patch.get("metadata") or {}
            if "name" not in meta:
                raise RenderError(f"{directory}: a patch names its target: {entry}")
            hits = [i for i, doc in enumerate(docs)
                    if doc["kind"] == patch["kind"]
                    and doc.get("metadata", {}).get("name") == meta["name"]
                    and meta.get("namespace") in (None, doc.get("metadata", {}).get("namespace"))]
            if len(hits) != 1:
                raise RenderError(f"{directory}: patch for {patch['kind']}/{meta['name']} "
                                  f"matches {len(hits)} resources")
            docs[hits[0]] = strategic_merge(docs[hits[0]], patch)


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
