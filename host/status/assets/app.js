// relayd status page: polls status.json every two seconds and fills in the
// page. Text only ever goes in through textContent: nothing from the
// server is parsed as HTML.
"use strict";

(function () {
  const every = 2000;
  let last = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, text, attrs) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  function count(n) {
    return Math.round(n).toLocaleString("en");
  }

  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }

  function duration(s) {
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + m + "m";
    if (m > 0) return m + "m " + (s % 60) + "s";
    return s + "s";
  }

  function when(t) {
    return t > 0 ? new Date(t * 1000).toLocaleString() : "";
  }

  function verdicts(p) {
    const ul = el("ul", null, { class: "verdicts" });
    for (const v of p.verdicts) {
      const li = el("li", null, { "data-verdict": v.verdict, "data-prefix": v.prefix || "" });
      li.append(v.verdict + (v.prefix ? " (" + v.prefix + ")" : "") + ": ", el("span", count(v.count), { class: "count" }));
      ul.append(li);
    }
    return ul;
  }

  function reload(p) {
    if (p.load_failed) {
      const running = p.position < 0 ? "not running" : "running " + p.version;
      return el("span", "files " + p.load_failed + " failed to load (see the log); " + running, { class: "failed" });
    }
    return el("span", "loaded " + when(p.loaded_at), { class: "loaded" });
  }

  function pluginRow(p) {
    const tr = el("tr", null, { "data-plugin": p.name });
    const cell = (v, cls) => { const td = el("td", v, cls ? { class: cls } : {}); tr.append(td); return td; };
    cell(p.position < 0 ? "–" : p.position + 1, "n");
    cell(p.name);
    cell(p.version || "–", "version");
    const sha = cell(p.sha256 ? p.sha256.slice(0, 12) : "–", "version sha256");
    if (p.sha256) sha.title = p.sha256;
    cell(p.source || "–", "source");
    cell(p.hooks.join(", "));
    cell(p.mode || "–", p.mode === "shadow" ? "shadow" : "");
    cell(p.on_error || "–");
    cell(count(p.calls), "n calls");
    cell(null, "verdicts").append(verdicts(p));
    cell(count(p.errors), "n errors");
    cell(null, "reload").append(reload(p));
    return tr;
  }

  function render(st) {
    $("name").textContent = st.name;
    $("description").textContent = st.description;
    $("uptime").textContent = duration(st.uptime_seconds) + (st.starting ? " (loading plugins)" : "");
    $("connections").textContent = count(st.connections);
    $("subscriptions").textContent = count(st.subscriptions);
    $("stored").textContent = count(st.events_stored);
    $("store").textContent = bytes(st.store_bytes);
    if (last && st.now > last.now) {
      const r = (st.events_received - last.events_received) / (st.now - last.now);
      $("rate").textContent = r.toFixed(r < 10 ? 1 : 0);
    }
    $("plugins").tBodies[0].replaceChildren(...st.plugins.map(pluginRow));
    $("noplugins").hidden = st.plugins.length > 0;
    $("peers").replaceChildren(...st.sync_peers.map((p) => el("li", p.url + ": " + p.state)));
    $("nopeers").hidden = st.sync_peers.length > 0;
    $("updated").textContent = "updated " + new Date(st.now * 1000).toLocaleTimeString();
    document.body.setAttribute("data-updated", String(st.now));
  }

  async function poll() {
    try {
      const resp = await fetch("status.json", { cache: "no-store" });
      if (!resp.ok) throw new Error("status.json: " + resp.status);
      const st = await resp.json();
      render(st);
      last = st;
      $("problem").hidden = true;
    } catch (e) {
      $("problem").textContent = "Could not update the numbers: " + e.message;
      $("problem").hidden = false;
    }
    setTimeout(poll, every);
  }

  poll();
})();
