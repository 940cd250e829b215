/* The public pages: relative times, the live image's refresh, sharing.
 * Every page works without this script; it only keeps things current. */
"use strict";

/* The page's texts in its language, rendered by the server into <body data-texts>:
 * zenithText("speed", {rate: "0.5"}) fills the %(rate)s-style placeholders. */
window.zenithText = (() => {
  let texts = {};
  try { texts = JSON.parse(document.body.dataset.texts || "{}"); } catch (e) { texts = {}; }
  return (key, vars = {}) => String(texts[key] || key)
    .replace(/%\((\w+)\)[sd]/g, (m, name) => (name in vars ? String(vars[name]) : m));
})();

(() => {
  const REFRESH_MS = 30000;
  const t = window.zenithText;

  function ago(iso) {
    const seconds = (Date.now() - Date.parse(iso)) / 1000;
    if (!isFinite(seconds)) return "";
    if (seconds < 60) return t("just_now");
    for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
      if (seconds >= size) {
        const n = Math.floor(seconds / size);
        return t(`${unit}_${n === 1 ? "one" : "other"}`, {num: n});
      }
    }
    return t("just_now");
  }

  function refreshTimes() {
    for (const el of document.querySelectorAll("time[data-ago]")) {
      el.textContent = ago(el.dateTime);
      el.title = new Date(el.dateTime).toLocaleString();
    }
  }

  async function refreshLive(box) {
    if (document.hidden) return;
    const res = await fetch(box.dataset.live, {headers: {"Accept": "application/json"}});
    if (!res.ok) return;
    const live = await res.json();
    const img = document.getElementById("live-image");
    if (!live.frame_id || !img || img.dataset.frame === live.frame_id) return;
    const next = new Image();
    next.onload = () => {
      img.src = next.src;
      img.dataset.frame = live.frame_id;
      img.width = live.width;
      img.height = live.height;
      const when = document.querySelector("#live-when time");
      if (when) when.dateTime = live.taken_at;
      const taken = document.getElementById("live-taken");
      if (taken) taken.textContent = t("taken", {time: new Date(live.taken_at).toISOString()
        .replace("T", " ").replace(/\.\d+Z$/, " UTC")});
      refreshTimes();
    };
    next.src = live.url;
  }

  function share() {
    const input = document.getElementById("share-url");
    if (!input) return;
    const result = document.getElementById("share-result");
    const copy = document.getElementById("copy-link");
    const native = document.getElementById("share-link");
    if (copy) {
      /* the Clipboard API only exists on HTTPS (and this machine); else the old way */
      copy.hidden = false;
      copy.addEventListener("click", async () => {
        let done = false;
        try {
          if (navigator.clipboard) {
            await navigator.clipboard.writeText(input.value);
            done = true;
          } else {
            input.select();
            done = document.execCommand("copy");
          }
        } catch (e) {
          done = false;
        }
        if (!done) input.select();
        result.textContent = done ? t("copied") : t("copy_by_hand");
      });
    }
    if (navigator.share && native) {
      native.hidden = false;
      native.addEventListener("click", () => {
        navigator.share({title: document.title, url: input.value}).catch(() => {});
      });
    }
  }

  function refreshPreviews() {
    if (document.hidden) return;
    for (const img of document.querySelectorAll("img[data-refresh]")) {
      const url = new URL(img.src, location.href);
      url.searchParams.set("t", String(Date.now()));
      const next = new Image();
      next.onload = () => { img.src = next.src; };
      next.src = url.toString();
    }
  }

  refreshTimes();
  setInterval(refreshTimes, REFRESH_MS);
  if (document.querySelector("img[data-refresh]")) setInterval(refreshPreviews, 2 * REFRESH_MS);
  const box = document.getElementById("live");
  if (box && box.dataset.live) setInterval(() => refreshLive(box).catch(() => {}), REFRESH_MS);
  share();
})();
