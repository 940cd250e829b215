/* Dashboard: capture status card, pins in use, the pin form. */
"use strict";

(() => {
  const {json, poll, feedback, el} = Zenith;
  const statusBox = document.getElementById("status-html");
  const captureResult = document.getElementById("capture-result");
  const pinsBody = document.getElementById("pins-body");
  const pinsUpdated = document.getElementById("pins-updated");
  const form = document.getElementById("pin-form");
  const formResult = document.getElementById("pin-form-result");
  const dutyOut = document.getElementById("duty-out");

  /* The server escapes every value of status_html. */
  async function refreshStatus() {
    try {
      const status = await json("GET", "/allsky/status");
      statusBox.innerHTML = status.status_html;
    } catch (e) {
      statusBox.replaceChildren(el("p", {class: "alert"}, "Capture status unavailable: " + e.message));
    }
  }

  const MODES = {"digital-output": "output", "digital-input": "input", "pwm": "PWM"};

  function pinNumber(key) { return parseInt(key.replace(/^D/, ""), 10); }

  function stateCell(info) {
    if (info.mode === "pwm") {
      const pct = Math.round((info.duty || 0) * 1000 / 65535) / 10;
      const bar = el("span");
      bar.style.width = pct + "%";
      return el("td", {}, el("span", {class: "meter"}, bar), `${pct} % @ ${info.frequency} Hz`);
    }
    const on = info.value === "on";
    return el("td", {class: on ? "pin-on" : "pin-off"}, info.value || "–");
  }

  function actionsCell(key, info) {
    const cell = el("td");
    if (info.reserved_by) {
      cell.append(el("span", {class: "badge", title: `Driven by the ${info.reserved_by}`}, info.reserved_by));
      return cell;
    }
    if (info.mode === "digital-output") {
      const next = info.value === "on" ? "off" : "on";
      const toggle = el("button", {type: "button", class: "small", title: `Turn ${key} ${next}`}, next === "on" ? "On" : "Off");
      toggle.addEventListener("click", () => apply("/gpio/digital", {pin: key, state: next}));
      cell.append(toggle, " ");
    }
    const release = el("button", {type: "button", class: "small ghost", title: `Release ${key}`, ariaLabel: `Release ${key}`}, "✕");
    release.addEventListener("click", () => apply("/gpio/release", {pin: key}));
    cell.append(release);
    return cell;
  }

  async function refreshPins() {
    let pins;
    try {
      pins = await json("GET", "/gpio/all");
    } catch (e) {
      pinsBody.replaceChildren(el("tr", {}, el("td", {colSpan: 5, class: "alert"}, "Pins unavailable: " + e.message)));
      return;
    }
    const used = Object.entries(pins).filter(([, info]) => info.mode !== "unused")
      .sort(([a], [b]) => pinNumber(a) - pinNumber(b));
    const rows = used.map(([key, info]) => el("tr", {"data-pin": key},
      el("td", {}, el("code", {}, key)),
      el("td", {}, info.name || ""),
      el("td", {title: info.mode}, MODES[info.mode] || info.mode),
      stateCell(info),
      actionsCell(key, info)));
    if (!rows.length) rows.push(el("tr", {}, el("td", {colSpan: 5, class: "muted"}, "No pin is in use.")));
    pinsBody.replaceChildren(...rows);
    pinsUpdated.textContent = "updated " + new Date().toLocaleTimeString();
  }

  async function apply(path, body) {
    try {
      const reply = await json("POST", path, body);
      const what = reply.state ? `${body.pin} is ${reply.state}`
        : reply.duty !== undefined ? `${body.pin}: duty ${reply.duty_percent} % at ${reply.frequency} Hz`
        : `${body.pin} released`;
      feedback(formResult, what, true);
    } catch (e) {
      feedback(formResult, e.message, false);
    }
    await refreshPins();
  }

  function mode() { return form.elements.mode.value; }

  function showMode() {
    for (const block of form.querySelectorAll("[data-mode]")) block.hidden = block.dataset.mode !== mode();
  }

  form.addEventListener("change", showMode);
  form.elements.duty.addEventListener("input", () => { dutyOut.value = form.elements.duty.value + " %"; });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const pin = form.elements.pin.value;
    const name = form.elements.name.value.trim();
    const body = {pin};
    if (name) body.name = name;
    if (mode() === "pwm") {
      body.duty = Math.round(Number(form.elements.duty.value) * 65535 / 100);
      body.frequency = Number(form.elements.frequency.value);
      apply("/gpio/pwm", body);
    } else {
      body.state = form.elements.state.value;
      apply("/gpio/digital", body);
    }
  });

  for (const button of document.querySelectorAll("[data-allsky]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const reply = await json("POST", "/allsky/" + button.dataset.allsky);
        feedback(captureResult, reply.status, true);
      } catch (e) {
        feedback(captureResult, e.message, false);
      } finally {
        button.disabled = false;
      }
      refreshStatus();
    });
  }

  showMode();
  poll(refreshStatus, 2000);
  poll(refreshPins, 2000);
})();
