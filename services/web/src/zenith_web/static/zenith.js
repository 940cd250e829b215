/* Shared helpers of the Zenith pages: API calls with the session cookie,
 * CSRF header, token renewal and polling. No external libraries. */
"use strict";

const Zenith = (() => {
  const CSRF_COOKIE = "zenith_csrf";
  let renewing = null;

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function cookie(name) {
    for (const part of document.cookie.split(";")) {
      const [key, ...rest] = part.trim().split("=");
      if (key === name) return decodeURIComponent(rest.join("="));
    }
    return "";
  }

  function toLogin() {
    const next = location.pathname + location.search;
    location.assign("/login?next=" + encodeURIComponent(next));
  }

  /* One renewal at a time: concurrent 401s wait for the same refresh. */
  function renew() {
    if (!renewing) {
      renewing = fetch("/token/refresh", {
        method: "POST",
        credentials: "same-origin",
        headers: {"X-CSRF-Token": cookie(CSRF_COOKIE), "Accept": "application/json"},
      }).then((res) => res.ok).catch(() => false).finally(() => { renewing = null; });
    }
    return renewing;
  }

  async function request(method, path, body) {
    const send = () => {
      const headers = {"Accept": "application/json"};
      const options = {method, headers, credentials: "same-origin"};
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = cookie(CSRF_COOKIE);
      return fetch(path, options);
    };
    let res = await send();
    if (res.status === 401 && cookie(CSRF_COOKIE)) {
      if (await renew()) res = await send();
    }
    if (res.status === 401) {
      toLogin();
      throw new ApiError(401, "unauthorized", "Please log in again.");
    }
    return res;
  }

  async function json(method, path, body) {
    const res = await request(method, path, body);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(res.status, err.code || "error", err.message || res.statusText);
    }
    return data;
  }

  /* Call fn now and then every `ms` while the tab is visible; never overlaps. */
  function poll(fn, ms) {
    let timer = null;
    const tick = async () => {
      timer = null;
      if (!document.hidden) {
        try { await fn(); } catch (e) { /* fn shows its own errors */ }
      }
      timer = setTimeout(tick, ms);
    };
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && timer !== null) { clearTimeout(timer); tick(); }
    });
    tick();
    return () => { if (timer !== null) clearTimeout(timer); };
  }

  function feedback(el, text, ok) {
    el.textContent = text;
    el.classList.toggle("ok", ok === true);
    el.classList.toggle("error", ok === false);
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  return {ApiError, cookie, request, json, poll, feedback, el};
})();
