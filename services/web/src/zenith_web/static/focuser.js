/* Focuser page: live frame, position, moves, autofocus and its score curve. */
"use strict";

(() => {
  const {json, request, poll, feedback} = Zenith;
  const SVG = "http://www.w3.org/2000/svg";
  const img = document.getElementById("frame");
  const frameInfo = document.getElementById("frame-info");
  const live = document.getElementById("frame-live");
  const result = document.getElementById("focuser-result");
  const stepSize = document.getElementById("step-size");
  const chart = document.getElementById("af-chart");
  const afInfo = document.getElementById("af-info");
  const afButton = document.getElementById("autofocus");
  const movingBadge = document.getElementById("moving-badge");
  let frameUrl = null;
  let autofocusRunning = false;

  function text(id, value) { document.getElementById(id).textContent = value; }

  async function refreshFrame() {
    if (!live.checked) return;
    let res;
    try {
      res = await request("GET", "/focuser/frame.jpg?max_width=960");
    } catch (e) {
      frameInfo.textContent = "No frame: " + e.message;
      return;
    }
    if (!res.ok) {
      let message = res.statusText;
      try { message = (await res.json()).error.message; } catch (e) { /* keep statusText */ }
      frameInfo.textContent = "No frame: " + message;
      return;
    }
    const blob = await res.blob();
    const previous = frameUrl;
    frameUrl = URL.createObjectURL(blob);
    img.src = frameUrl;
    if (previous) URL.revokeObjectURL(previous);
    const parts = [];
    const h = (name) => res.headers.get(name);
    if (h("X-Focus-HFR")) parts.push(`HFR ${Number(h("X-Focus-HFR")).toFixed(2)} px`);
    if (h("X-Focus-Stars")) parts.push(`${h("X-Focus-Stars")} stars`);
    if (h("X-Focus-Sharpness")) parts.push(`sharpness ${Number(h("X-Focus-Sharpness")).toFixed(1)}`);
    if (h("X-Exposure-S")) parts.push(`exposure ${Number(h("X-Exposure-S")).toPrecision(3)} s`);
    if (h("X-Taken-At")) parts.push(new Date(h("X-Taken-At")).toLocaleTimeString());
    frameInfo.textContent = parts.join(" · ") || "Frame received";
  }

  function svg(tag, attrs, content) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (content !== undefined) node.textContent = content;
    return node;
  }

  /* Score by position: grid, axes, the curve, its points and the best position. */
  function drawChart(af) {
    const W = 520, H = 260, L = 58, R = 16, T = 14, B = 38;
    chart.replaceChildren();
    const points = (af && af.curve ? af.curve.slice() : []).sort((a, b) => a.position - b.position);
    if (!points.length) {
      chart.append(svg("text", {x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty"},
        af && af.running ? "Sweeping…" : "No autofocus run yet"));
      return;
    }
    const xs = points.map((p) => p.position), ys = points.map((p) => p.score);
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    const pad = (y1 - y0) * 0.08; y0 -= pad; y1 += pad;
    const sx = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
    const sy = (y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
    for (let i = 0; i <= 4; i++) {
      const y = y0 + (y1 - y0) * i / 4;
      chart.append(svg("line", {x1: L, x2: W - R, y1: sy(y), y2: sy(y), class: "grid-line"}));
      chart.append(svg("text", {x: L - 6, y: sy(y) + 4, "text-anchor": "end", class: "label"}, y.toPrecision(3)));
    }
    for (let i = 0; i <= 4; i++) {
      const x = x0 + (x1 - x0) * i / 4;
      chart.append(svg("text", {x: sx(x), y: H - B + 16, "text-anchor": "middle", class: "label"}, Math.round(x)));
    }
    chart.append(svg("line", {x1: L, x2: L, y1: T, y2: H - B, class: "axis"}));
    chart.append(svg("line", {x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis"}));
    chart.append(svg("text", {x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", class: "label"}, "position (steps)"));
    chart.append(svg("polyline", {points: points.map((p) => `${sx(p.position)},${sy(p.score)}`).join(" "), class: "curve"}));
    for (const p of points) {
      const dot = svg("circle", {cx: sx(p.position), cy: sy(p.score), r: 4, class: "point"});
      dot.append(svg("title", {}, `position ${p.position}: score ${p.score.toPrecision(4)}` +
        (p.hfr != null ? `, HFR ${p.hfr.toFixed(2)}` : "") + (p.stars != null ? `, ${p.stars} stars` : "")));
      chart.append(dot);
    }
    if (af.best_position != null && af.best_position >= x0 && af.best_position <= x1) {
      chart.append(svg("line", {x1: sx(af.best_position), x2: sx(af.best_position), y1: T, y2: H - B, class: "best"}));
    }
  }

  function showAutofocus(af) {
    drawChart(af);
    if (!af) { afInfo.textContent = "No autofocus run yet."; return; }
    if (af.running) {
      afInfo.textContent = `Running (${af.method || "…"}): ${Math.round((af.progress || 0) * 100)} %`;
    } else if (af.error) {
      afInfo.textContent = "Last autofocus failed: " + af.error;
    } else if (af.best_position != null) {
      afInfo.textContent = `Best focus at ${af.best_position} (${af.method}, ${af.curve.length} frames)`;
    }
  }

  async function refreshStatus() {
    let st;
    try {
      st = await json("GET", "/focuser/status");
    } catch (e) {
      feedback(result, "Focuser unavailable: " + e.message, false);
      return;
    }
    text("f-position", st.position);
    text("f-target", st.target);
    text("f-limits", `${st.min_position} … ${st.max_position}`);
    text("f-driver", `${st.driver}${st.reverse ? " (reversed)" : ""}`);
    movingBadge.hidden = !st.moving;
    showAutofocus(st.autofocus);
    afButton.disabled = autofocusRunning || Boolean(st.autofocus && st.autofocus.running);
  }

  async function act(path, body, message) {
    try {
      await json("POST", path, body);
      feedback(result, message, true);
    } catch (e) {
      feedback(result, e.message, false);
    }
    refreshStatus();
  }

  document.getElementById("move-in").addEventListener("click", () => {
    const steps = Number(stepSize.value);
    act("/focuser/move", {direction: "in", steps}, `Moving in ${steps} steps`);
  });
  document.getElementById("move-out").addEventListener("click", () => {
    const steps = Number(stepSize.value);
    act("/focuser/move", {direction: "out", steps}, `Moving out ${steps} steps`);
  });
  document.getElementById("stop").addEventListener("click", () => act("/focuser/stop", undefined, "Stopped"));
  afButton.addEventListener("click", async () => {
    autofocusRunning = true;
    afButton.disabled = true;
    feedback(result, "Autofocus running…", null);
    try {
      const reply = await json("POST", "/focuser/autofocus", {});
      feedback(result, `Autofocus done: best position ${reply.best_position}`, true);
      drawChart({curve: reply.curve, best_position: reply.best_position});
    } catch (e) {
      feedback(result, "Autofocus failed: " + e.message, false);
    } finally {
      autofocusRunning = false;
      afButton.disabled = false;
      refreshStatus();
    }
  });
  live.addEventListener("change", () => { if (live.checked) refreshFrame(); });

  poll(refreshStatus, 2000);
  poll(refreshFrame, 2500);
})();
