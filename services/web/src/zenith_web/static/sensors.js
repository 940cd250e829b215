/* Dashboard sensors card: current values, heater and fan with their rule, alerts. */
"use strict";

(() => {
  const {json, poll, feedback, el} = Zenith;
  const body = document.getElementById("sensors-body");
  if (!body) return;
  const updated = document.getElementById("sensors-updated");
  const controls = document.getElementById("controls-list");
  const alerts = document.getElementById("alerts-list");
  const result = document.getElementById("sensors-result");

  const UNITS = {temp: "°C", dewpoint: "°C", hum: "%", press: "hPa", Ambient: "°C", Object: "°C",
    Tsky: "°C", raspiTemp: "°C", raspiDiskPercent: "% disk", Lux: "lx", SQM_RAW: "mag/arcsec²"};
  const SHOWN = ["temp", "hum", "dewpoint", "press", "Ambient", "Tsky", "CloudState", "Lux",
    "SQM_RAW", "raspiTemp", "raspiDiskPercent"];

  function values(fields) {
    const parts = [];
    for (const key of SHOWN) {
      if (fields[key] === undefined) continue;
      const value = Math.round(fields[key] * 10) / 10;
      parts.push(`${key} ${value}${UNITS[key] ? " " + UNITS[key] : ""}`);
    }
    return parts.join(", ");
  }

  async function override(name, state) {
    try {
      const reply = await json("POST", "/sensors/override", {name, state, minutes: 60});
      feedback(result, `${name}: ${reply.on ? "on" : "off"} (${reply.reason})`, true);
    } catch (e) {
      feedback(result, e.message, false);
    }
    refresh();
  }

  function controlItem(c) {
    const state = c.on ? (c.mode === "pwm" ? `on ${c.duty_percent} %` : "on") : "off";
    const item = el("li", {"data-control": c.name},
      el("strong", {}, c.name), ` (${c.kind}, pin ${c.pin}): `,
      el("span", {class: c.on ? "pin-on" : "pin-off"}, state), ` – ${c.reason}`,
      el("br"), el("span", {class: "muted small"}, c.rule));
    if (c.error) item.append(el("br"), el("span", {class: "alert"}, c.error));
    const actions = el("span", {class: "actions"});
    for (const [label, value] of [["On 1 h", "on"], ["Off 1 h", "off"], ["Auto", "auto"]]) {
      const button = el("button", {type: "button", class: "small", title: `${c.name}: ${label}`}, label);
      button.addEventListener("click", () => override(c.name, value));
      actions.append(button, " ");
    }
    item.append(el("br"), actions);
    return item;
  }

  async function refresh() {
    let status;
    try {
      status = await json("GET", "/sensors/status");
    } catch (e) {
      body.replaceChildren(el("tr", {}, el("td", {colSpan: 3, class: "alert"}, "Sensors unavailable: " + e.message)));
      return;
    }
    const rows = status.sensors.map((s) => el("tr", {"data-sensor": s.name},
      el("td", {}, el("strong", {}, s.name), el("br"), el("span", {class: "muted small"}, s.driver)),
      el("td", {}, s.last_reading ? values(s.last_reading.fields) : "–"),
      el("td", {class: s.status === "ok" ? "pin-on" : s.status === "failed" ? "alert" : "muted",
        title: s.error || ""}, s.status)));
    if (!rows.length) rows.push(el("tr", {}, el("td", {colSpan: 3, class: "muted"}, "No sensor is configured.")));
    body.replaceChildren(...rows);
    const items = status.controls.map(controlItem);
    controls.replaceChildren(...(items.length ? items : [el("li", {class: "muted"}, "No heater or fan rule.")]));
    const active = status.alerts.map((a) => el("li", {class: "alert"}, `${a.rule}: ${a.message}`));
    alerts.replaceChildren(...(active.length ? active : [el("li", {class: "muted"}, "No active alert.")]));
    updated.textContent = "updated " + new Date().toLocaleTimeString();
  }

  poll(refresh, 10000);
})();
