/* The network map: Leaflet (vendored), tiles from the configured server,
 * a circle per camera coloured by status, a popup with preview and link. */
"use strict";

(async () => {
  const box = document.getElementById("map");
  if (!box || typeof L === "undefined") return;
  const map = L.map(box, {worldCopyJump: true}).setView([50, 10], 4);
  L.tileLayer(box.dataset.tiles, {maxZoom: 12, attribution: ""}).addTo(map);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(
    box.dataset.attribution.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`));
  const res = await fetch(box.dataset.src, {headers: {"Accept": "application/json"}});
  if (!res.ok) return;
  const data = await res.json();
  const points = [];
  for (const cam of data.cameras) {
    const marker = L.circleMarker([cam.latitude, cam.longitude], {
      radius: 8, weight: 2, fillOpacity: 0.85,
      className: cam.online ? "marker-online" : "marker-offline",
    }).addTo(map);
    const popup = document.createElement("div");
    popup.className = "map-popup";
    const img = document.createElement("img");
    img.src = cam.thumb; img.width = 160; img.height = 120; img.alt = "";
    img.loading = "lazy";
    img.addEventListener("error", () => img.remove());
    const link = document.createElement("a");
    link.href = cam.url; link.textContent = cam.name;
    const info = document.createElement("span");
    info.textContent = ` ${cam.code} · ${window.zenithText(cam.online ? "online" : "offline")}`;
    popup.append(img, link, info);
    marker.bindPopup(popup);
    points.push([cam.latitude, cam.longitude]);
  }
  if (points.length === 1) map.setView(points[0], 8);
  else if (points.length > 1) map.fitBounds(points, {padding: [30, 30], maxZoom: 10});
  box.dataset.ready = String(data.cameras.length);
})();
