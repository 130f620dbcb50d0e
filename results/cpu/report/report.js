/* itmn-bench report viewer. No library, nothing fetched: data comes from <script> files in
 * this folder (data/report.js, data/img-NNN.js) that call itmnReport.init / addImage.
 *
 * HDR images arrive as block-exponent JPEGs (bench/report/encoding.py): a base JPEG of codes
 * c and a PNG of per-8x8-block exponent bytes e; the linear value is
 *     x = (c / 255) ** gamma * 2 ** ((e - offset) / steps_per_stop)          (cd/m^2, BT.709)
 * The exposure view shows round(255 * srgb(min(1, x * anchor * 2 ** ev))).
 */
"use strict";
(function () {
  const S = {
    data: null, // itmnReport.init's argument
    image: -1, // index of the shown image
    mode: "exposure", // exposure | falsecolour | pmap
    ev: 0,
    size: 256,
    hidden: new Set(),
    decoded: {}, // image index -> {tiles: {key: tile}}
    waiting: {}, // image index -> resolve function of its data file
    status: "loading", // "ready" once the first image is drawn, "no-images" when there is none
    renders: 0,
    recent: [], // decoded images, most recent last; only KEEP_DECODED are kept (about 25 MB each)
    timing: { decodeMs: null, renderMs: null },
  };
  const KEEP_DECODED = 3;

  // ------------------------------------------------------------------ small helpers
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children || []) if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (!Number.isFinite(v) || Math.abs(v) >= 1e300) return v > 0 ? "∞" : "−∞";
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
    return Number(v.toPrecision(digits || 4)).toString();
  }
  function b64bytes(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  async function pixels(b64, mime) {
    // data that is part of the page (not a file:// image) keeps the canvas readable
    const blob = new Blob([b64bytes(b64)], { type: mime });
    const bmp = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    const c = document.createElement("canvas");
    c.width = bmp.width;
    c.height = bmp.height;
    const ctx = c.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(bmp, 0, 0);
    bmp.close();
    return ctx.getImageData(0, 0, c.width, c.height);
  }

  // ------------------------------------------------------------------ sortable tables
  function cellValue(td) {
    const v = td.getAttribute("data-v");
    return v === null ? null : parseFloat(v);
  }
  function sortTable(table, col, th) {
    const tbody = table.tBodies[0];
    const rows = Array.from(tbody.rows);
    const prev = th.getAttribute("aria-sort");
    const dir = prev === "ascending" ? -1 : 1;
    const numeric = rows.every((r) => !r.cells[col] || r.cells[col].textContent.trim() === "" || r.cells[col].hasAttribute("data-v") || /^[–-]$/.test(r.cells[col].textContent.trim()));
    rows.sort((a, b) => {
      const ca = a.cells[col], cb = b.cells[col];
      if (!ca || !cb) return 0;
      if (numeric) {
        const va = cellValue(ca), vb = cellValue(cb);
        if (va === null && vb === null) return 0;
        if (va === null) return 1; // empty cells last either way
        if (vb === null) return -1;
        return dir * (va - vb);
      }
      return dir * ca.textContent.localeCompare(cb.textContent, undefined, { numeric: true });
    });
    for (const r of rows) tbody.appendChild(r);
    for (const h of table.tHead.rows[0].cells) h.setAttribute("aria-sort", "none");
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  }
  function makeSortable(table) {
    if (!table.tHead || table.dataset.sortable) return;
    table.dataset.sortable = "1";
    Array.from(table.tHead.rows[0].cells).forEach((th, col) => {
      const b = th.querySelector("button");
      if (b) b.addEventListener("click", () => sortTable(table, col, th));
    });
  }

  // ------------------------------------------------------------------ decoding
  async function decodeTile(t, enc) {
    const base = await pixels(t.base, "image/jpeg");
    const exps = await pixels(t.exp, "image/png");
    const w = t.w, h = t.h, pw = base.width, B = enc.block;
    const bw = exps.width;
    const code = new Uint8Array(w * h * 3);
    const k = new Uint8Array(w * h);
    const src = base.data, ex = exps.data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x, s = (y * pw + x) * 4;
        code[3 * i] = src[s];
        code[3 * i + 1] = src[s + 1];
        code[3 * i + 2] = src[s + 2];
        k[i] = ex[(((y / B) | 0) * bw + ((x / B) | 0)) * 4];
      }
    }
    // linear luminance (cd/m^2) for the false colour, the probe and the map's context
    const pow = new Float64Array(256), scale = new Float64Array(256);
    for (let c = 0; c < 256; c++) pow[c] = Math.pow(c / 255, enc.gamma);
    for (let e = 0; e < 256; e++) scale[e] = Math.pow(2, (e - enc.offset) / enc.steps_per_stop);
    const lum = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      lum[i] = (0.2126 * pow[code[3 * i]] + 0.7152 * pow[code[3 * i + 1]] + 0.0722 * pow[code[3 * i + 2]]) * scale[k[i]];
    }
    const out = { w, h, code, k, lum, quality: t.q, pmap: null };
    if (t.pmap) {
      // stored at the image's size, or smaller when it had to be shrunk to fit its byte cap
      const p = await pixels(t.pmap.data, "image/webp");
      out.pmap = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) {
        const py = Math.min(p.height - 1, Math.floor((y * p.height) / h));
        for (let x = 0; x < w; x++) out.pmap[y * w + x] = p.data[4 * (py * p.width + Math.min(p.width - 1, Math.floor((x * p.width) / w)))];
      }
      out.pmapQuality = t.pmap.q;
    }
    return out;
  }

  function loadImage(i) {
    const entry = S.data.images[i];
    if (S.decoded[i]) return Promise.resolve(S.decoded[i]);
    if (!entry.file) return Promise.resolve(null);
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      S.waiting[i] = resolve;
      const s = el("script", { src: entry.file });
      s.onerror = () => reject(new Error("could not load " + entry.file));
      s.onload = () => s.remove(); // the data lives on in the decoded tiles only
      document.body.appendChild(s);
    }).then(async (payload) => {
      const tiles = {};
      for (const [key, t] of Object.entries(payload.tiles)) if (t.base) tiles[key] = await decodeTile(t, S.data.encoding);
      for (const [key, t] of Object.entries(payload.tiles)) if (t.same_as) tiles[key] = Object.assign({ same_as: t.same_as }, tiles[t.same_as]);
      S.decoded[i] = { tiles };
      S.recent = S.recent.filter((j) => j !== i).concat([i]);
      while (S.recent.length > KEEP_DECODED) delete S.decoded[S.recent.shift()];
      S.timing.decodeMs = performance.now() - t0;
      return S.decoded[i];
    });
  }

  // ------------------------------------------------------------------ rendering
  function srgb(v) {
    return v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
  }
  function exposureLut(anchor, ev) {
    const enc = S.data.encoding;
    const lut = new Uint8Array(65536);
    const gain = anchor * Math.pow(2, ev);
    for (let e = 0; e < 256; e++) {
      const sc = Math.pow(2, (e - enc.offset) / enc.steps_per_stop) * gain;
      for (let c = 0; c < 256; c++) {
        const v = Math.min(1, Math.pow(c / 255, enc.gamma) * sc);
        lut[(e << 8) | c] = Math.floor(srgb(v) * 255 + 0.5);
      }
    }
    return lut;
  }
  function renderExposure(t, img, lut) {
    const d = img.data, n = t.w * t.h;
    for (let i = 0; i < n; i++) {
      const kk = t.k[i] << 8;
      d[4 * i] = lut[kk | t.code[3 * i]];
      d[4 * i + 1] = lut[kk | t.code[3 * i + 1]];
      d[4 * i + 2] = lut[kk | t.code[3 * i + 2]];
      d[4 * i + 3] = 255;
    }
  }
  const LOG_LO = Math.log10(0.005), LOG_HI = Math.log10(1000);
  function lumIndex(y) {
    const l = Math.log10(Math.min(1000, Math.max(0.005, y)));
    return Math.round(((l - LOG_LO) / (LOG_HI - LOG_LO)) * 255);
  }
  function renderFalse(t, img) {
    const cm = S.data.colormaps.falsecolour, d = img.data;
    for (let i = 0; i < t.w * t.h; i++) {
      const j = 3 * lumIndex(t.lum[i]);
      d[4 * i] = cm[j];
      d[4 * i + 1] = cm[j + 1];
      d[4 * i + 2] = cm[j + 2];
      d[4 * i + 3] = 255;
    }
  }
  function renderPmap(t, ref, img) {
    const cm = S.data.colormaps.pmap, d = img.data;
    for (let i = 0; i < t.w * t.h; i++) {
      const g = ref ? 255 * (0.1 + 0.55 * lumIndex(ref.lum[i]) / 255) : 128;
      const p = t.pmap[i], a = p / 255, j = 3 * p;
      d[4 * i] = g * (1 - a) + cm[j] * a;
      d[4 * i + 1] = g * (1 - a) + cm[j + 1] * a;
      d[4 * i + 2] = g * (1 - a) + cm[j + 2] * a;
      d[4 * i + 3] = 255;
    }
  }

  function render() {
    const dec = S.decoded[S.image];
    if (!dec) return;
    const t0 = performance.now();
    const entry = S.data.images[S.image];
    const ref = dec.tiles[S.data.reference];
    const lut = entry.anchor !== undefined ? exposureLut(entry.anchor, S.ev) : exposureLut(defaultAnchor(dec), S.ev);
    for (const fig of document.querySelectorAll("#tiles figure")) {
      const key = fig.dataset.key, t = dec.tiles[key];
      const canvas = fig.querySelector("canvas");
      fig.hidden = S.hidden.has(key);
      fig.style.width = S.size + "px";
      if (!t || fig.hidden) continue;
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(t.w, t.h);
      let label = "exposure";
      if (S.mode === "falsecolour") { renderFalse(t, img); label = "false colour"; }
      else if (S.mode === "pmap" && t.pmap) { renderPmap(t, ref, img); label = "HDR-VDP-2 P(detection)"; }
      else renderExposure(t, img, lut);
      ctx.putImageData(img, 0, 0);
      fig.querySelector(".view").textContent = S.mode === "pmap" && !t.pmap ? "exposure (no map for the reference)" : label;
    }
    const white = 1 / ((entry.anchor !== undefined ? entry.anchor : defaultAnchor(dec)) * Math.pow(2, S.ev));
    document.getElementById("ev-out").textContent = (S.ev >= 0 ? "+" : "−") + Math.abs(S.ev).toFixed(1) + " EV (white = " + fmt(white, 3) + " cd/m²)";
    drawLegend();
    S.renders++;
    S.timing.renderMs = performance.now() - t0;
  }
  function defaultAnchor(dec) {
    // no reference: anchor on the first tile's log-average luminance
    const t = Object.values(dec.tiles)[0];
    let s = 0;
    for (let i = 0; i < t.lum.length; i++) s += Math.log(Math.max(0.005, t.lum[i]));
    return S.data.encoding.anchor_grey / Math.exp(s / t.lum.length);
  }

  function drawLegend() {
    const c = document.getElementById("legend");
    const box = document.getElementById("legend-box");
    // shown / hidden without changing the layout
    box.classList.toggle("off", S.mode === "exposure");
    if (S.mode === "exposure") return;
    const ctx = c.getContext("2d");
    const cm = S.mode === "falsecolour" ? S.data.colormaps.falsecolour : S.data.colormaps.pmap;
    for (let x = 0; x < c.width; x++) {
      const j = Math.round((x / (c.width - 1)) * 255);
      let r = cm[3 * j], g = cm[3 * j + 1], b = cm[3 * j + 2];
      if (S.mode === "pmap") { const a = j / 255; r = 128 * (1 - a) + r * a; g = 128 * (1 - a) + g * a; b = 128 * (1 - a) + b * a; }
      ctx.fillStyle = "rgb(" + r + "," + g + "," + b + ")";
      ctx.fillRect(x, 0, 1, c.height);
    }
    const ticks = document.getElementById("legend-ticks");
    ticks.textContent = "";
    const labels = S.mode === "falsecolour" ? ["0.005", "0.1", "1", "10", "100", "1000"] : ["0", "0.25", "0.5", "0.75", "1"];
    document.getElementById("legend-unit").textContent = S.mode === "falsecolour" ? "luminance, cd/m² (log scale)" : "probability of detection";
    const pos = S.mode === "falsecolour" ? [0.005, 0.1, 1, 10, 100, 1000].map((v) => (Math.log10(v) - LOG_LO) / (LOG_HI - LOG_LO)) : [0, 0.25, 0.5, 0.75, 1];
    labels.forEach((l, i) => ticks.appendChild(el("span", { style: "left:" + (pos[i] * 100).toFixed(1) + "%", text: l })));
  }

  function probe(ev) {
    const canvas = ev.target;
    const dec = S.decoded[S.image];
    if (!dec) return;
    const r = canvas.getBoundingClientRect();
    const t0 = dec.tiles[canvas.parentElement.dataset.key];
    const x = Math.floor(((ev.clientX - r.left) / r.width) * t0.w), y = Math.floor(((ev.clientY - r.top) / r.height) * t0.h);
    if (x < 0 || y < 0 || x >= t0.w || y >= t0.h) return;
    for (const fig of document.querySelectorAll("#tiles figure")) {
      const t = dec.tiles[fig.dataset.key];
      if (!t) continue;
      const i = y * t.w + x;
      let s = "(" + x + ", " + y + "): " + fmt(t.lum[i], 4) + " cd/m²";
      if (t.pmap) s += ", P = " + (t.pmap[i] / 255).toFixed(2);
      fig.querySelector(".probe").textContent = s;
    }
  }

  // ------------------------------------------------------------------ viewer UI
  function label(key) {
    if (key === S.data.reference) return "Reference (HDR)";
    const m = S.data.methods.find((x) => x.key === key);
    return m ? m.label : key;
  }
  function scoreLine(key) {
    const sc = S.data.scores, row = ((sc.by_image[S.data.images[S.image].name] || {})[key]) || null;
    if (!row) return null;
    const best = {};
    for (const c of sc.primary) {
      const vals = Object.values(sc.by_image[S.data.images[S.image].name] || {}).map((r) => r[c]).filter((v) => v !== undefined);
      best[c] = sc.higher_is_better[c] ? Math.max(...vals) : Math.min(...vals);
    }
    const span = el("span", { class: "scores" });
    sc.primary.forEach((c) => {
      if (row[c] === undefined) return;
      const b = el(row[c] === best[c] ? "strong" : "span", { title: sc.configs[c] || c, text: c + " " + fmt(row[c], 4) });
      span.appendChild(b);
      span.appendChild(document.createTextNode(" "));
    });
    return span;
  }

  function showImage(i) {
    S.image = i;
    for (const b of document.querySelectorAll("#picker button")) b.setAttribute("aria-pressed", String(Number(b.dataset.i) === i));
    const entry = S.data.images[i];
    const tiles = document.getElementById("tiles");
    tiles.textContent = "";
    const info = document.getElementById("image-info");
    info.textContent = "";
    const miss = Object.entries(entry.missing || {});
    if (!entry.file) {
      info.appendChild(el("p", { class: "note", text: "No pixels for " + entry.name + " in this report" + (miss.length ? ": " + miss.map((m) => m[1]).join("; ") : ": see the notes at the top.") }));
      renderScoreTable(entry);
      if (S.status === "loading") S.status = "no-images";
      return Promise.resolve();
    }
    if (miss.length) info.appendChild(el("p", { class: "note", text: "Not shown: " + miss.map((m) => label(m[0]) + " (" + m[1] + ")").join("; ") }));
    const absent = S.data.methods.filter((m) => !entry.methods.includes(m.key) && !(m.key in (entry.missing || {})));
    if (absent.length) info.appendChild(el("p", { class: "note", text: "Not shown: " + absent.map((m) => m.label).join(", ") + " (no predictions found: see the notes at the top)." }));
    info.appendChild(el("p", { class: "loading", text: "Decoding " + entry.name + " …" }));
    renderScoreTable(entry);
    return loadImage(i).then((dec) => {
      if (S.image !== i) return;
      info.querySelector(".loading").remove();
      for (const key of entry.methods) {
        const t = dec.tiles[key];
        if (!t) continue;
        const cap = el("figcaption", {}, [el("strong", { text: label(key) }), " ", el("span", { class: "view" })]);
        const sl = scoreLine(key);
        if (sl) cap.appendChild(el("div", {}, [sl]));
        if (t.same_as) cap.appendChild(el("div", { class: "small", text: "same prediction file as " + label(t.same_as) }));
        if (entry.warnings && entry.warnings[key]) cap.appendChild(el("div", { class: "warn", role: "note", text: "⚠ " + entry.warnings[key] }));
        cap.appendChild(el("div", { class: "probe small", text: " " }));
        const canvas = el("canvas", { width: t.w, height: t.h, role: "img", "aria-label": label(key) + ", " + entry.name });
        canvas.addEventListener("mousemove", probe);
        tiles.appendChild(el("figure", { class: "tile", "data-key": key }, [canvas, cap]));
      }
      render();
      S.status = "ready";
    }).catch((err) => {
      info.appendChild(el("p", { class: "note", text: "Could not decode " + entry.name + ": " + err.message }));
      S.status = "error";
      throw err;
    });
  }

  function renderScoreTable(entry) {
    const box = document.getElementById("image-scores");
    box.textContent = "";
    const sc = S.data.scores, rows = sc.by_image[entry.name];
    if (!rows) return;
    const cols = sc.columns;
    const thead = el("thead", {}, [el("tr", {}, [el("th", { scope: "col", "aria-sort": "none" }, [el("button", { type: "button", text: "method" })])].concat(
      cols.map((c) => el("th", { scope: "col", "aria-sort": "none", title: sc.configs[c] || "" }, [el("button", { type: "button", text: c })]))))]);
    const tbody = el("tbody");
    for (const [m, row] of Object.entries(rows)) {
      const tr = el("tr", {}, [el("td", { text: label(m) })]);
      for (const c of cols) {
        const v = row[c];
        tr.appendChild(v === undefined ? el("td", { text: "–" }) : el("td", { class: "num", "data-v": String(v), text: fmt(v, 5) }));
      }
      tbody.appendChild(tr);
    }
    const table = el("table", { class: "sortable", id: "image-score-table" }, [el("caption", { text: "Scores of " + entry.name + " (all per-image columns)" }), thead, tbody]);
    box.appendChild(el("div", { class: "table-wrap" }, [table]));
    makeSortable(table);
  }

  function buildViewer() {
    const root = document.getElementById("viewer");
    const D = S.data;
    if (!D.images.length) {
      root.appendChild(el("p", { class: "note", text: "No test images listed in this results folder." }));
      S.status = "no-images";
      return;
    }
    const picker = el("div", { id: "picker", role: "group", "aria-label": "Test image" });
    D.images.forEach((im, i) => {
      const kids = im.thumb ? [el("img", { src: im.thumb, alt: "", width: 72, height: 72 }), el("span", { text: im.name })] : [el("span", { text: im.name })];
      picker.appendChild(el("button", { type: "button", "data-i": String(i), "aria-pressed": "false", onclick: () => showImage(i) }, kids));
    });
    const modes = el("fieldset", { class: "modes" }, [el("legend", { text: "View" })]);
    [["exposure", "Exposure"], ["falsecolour", "False colour (log luminance)"], ["pmap", "HDR-VDP-2 P(detection)"]].forEach(([v, t]) => {
      const inp = el("input", { type: "radio", name: "mode", value: v, id: "mode-" + v });
      if (v === S.mode) inp.checked = true;
      inp.addEventListener("change", () => { S.mode = v; render(); });
      modes.appendChild(el("label", { for: "mode-" + v }, [inp, " " + t]));
    });
    const ev = el("input", { type: "range", id: "ev", min: String(D.encoding.ev_range[0]), max: String(D.encoding.ev_range[1]), step: "0.1", value: "0", "aria-describedby": "ev-out" });
    ev.addEventListener("input", () => { S.ev = parseFloat(ev.value); render(); });
    const evBox = el("div", { class: "ev" }, [el("label", { for: "ev", text: "Exposure " }), ev, el("output", { id: "ev-out", for: "ev" }),
      el("button", { type: "button", text: "EV 0", onclick: () => { ev.value = "0"; S.ev = 0; render(); } })]);
    const size = el("select", { id: "tile-size" });
    [192, 256, 384, 512].forEach((s) => size.appendChild(el("option", { value: String(s), text: s + " px" })));
    size.value = String(S.size);
    size.addEventListener("change", () => { S.size = parseInt(size.value, 10); render(); });
    const show = el("fieldset", { class: "methods" }, [el("legend", { text: "Show" })]);
    [D.reference].concat(D.methods.map((m) => m.key)).forEach((key, j) => {
      const inp = el("input", { type: "checkbox", id: "show-" + j });
      inp.checked = true;
      inp.addEventListener("change", () => { if (inp.checked) S.hidden.delete(key); else S.hidden.add(key); render(); });
      show.appendChild(el("label", { for: "show-" + j }, [inp, " " + label(key)]));
    });
    const legend = el("div", { id: "legend-box", class: "off" }, [el("div", { id: "legend-unit", class: "small" }), el("canvas", { id: "legend", width: 320, height: 12, "aria-hidden": "true" }), el("div", { id: "legend-ticks" })]);
    root.appendChild(picker);
    const controls = el("div", { class: "controls" }, [modes, evBox, el("label", { for: "tile-size" }, ["Tile size ", size]), legend]);
    root.appendChild(controls);
    root.appendChild(show);
    if (!D.images.some((im) => im.file)) {
      // nothing to look at: keep the picker (per-image scores) and say why
      controls.hidden = true;
      show.hidden = true;
    }
    root.appendChild(el("div", { id: "image-info" }));
    root.appendChild(el("div", { id: "tiles" }));
    root.appendChild(el("div", { id: "image-scores" }));
    const first = D.images.findIndex((im) => im.file);
    showImage(first >= 0 ? first : 0);
  }

  // ------------------------------------------------------------------ training curves
  function buildCurves() {
    const root = document.getElementById("curves");
    const runs = S.data.curves;
    if (!runs.length) {
      root.appendChild(el("p", { class: "note", text: "No training logs available (see the notes at the top)." }));
      return;
    }
    const cols = [];
    for (const r of runs) for (const c of r.columns.slice(1)) if (!cols.includes(c) && c !== "time") cols.push(c);
    const sel = el("select", { id: "curve-col" });
    cols.forEach((c) => sel.appendChild(el("option", { value: c, text: c })));
    const pref = ["content", "loss_up", "g_loss"].find((c) => cols.includes(c));
    if (pref) sel.value = pref;
    const logy = el("input", { type: "checkbox", id: "curve-log" });
    logy.checked = true;
    const smooth = el("input", { type: "checkbox", id: "curve-smooth" });
    smooth.checked = true;
    const hidden = new Set();
    const labels = [];
    const canvas = el("canvas", { id: "curve-canvas", role: "img", "aria-label": "training curves" });
    const legend = el("div", { class: "curve-legend" });
    const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
    runs.forEach((r, i) => {
      const inp = el("input", { type: "checkbox", id: "run-" + i });
      inp.checked = true;
      inp.addEventListener("change", () => { if (inp.checked) hidden.delete(i); else hidden.add(i); draw(); });
      const lab = el("label", { for: "run-" + i }, [inp, el("span", { class: "swatch", style: "background:" + palette[i % palette.length] }), " " + r.label + " ", el("span", { class: "small" })]);
      legend.appendChild(lab);
      labels.push(lab);
    });
    [sel, logy, smooth].forEach((x) => x.addEventListener("change", draw));
    root.appendChild(el("div", { class: "controls" }, [el("label", { for: "curve-col" }, ["Column ", sel]), el("label", { for: "curve-log" }, [logy, " log scale"]), el("label", { for: "curve-smooth" }, [smooth, " moving average (9 points)"])]));
    root.appendChild(canvas);
    root.appendChild(legend);
    window.addEventListener("resize", draw);

    function series(r, c) {
      const xi = 0, yi = r.columns.indexOf(c);
      if (yi < 0) return [];
      let pts = r.rows.map((row) => [row[xi], row[yi]]).filter((p) => p[0] !== null && p[1] !== null && (!logy.checked || p[1] > 0));
      if (smooth.checked && pts.length > 9) {
        pts = pts.map((p, i) => {
          const lo = Math.max(0, i - 4), hi = Math.min(pts.length, i + 5);
          let s = 0;
          for (let j = lo; j < hi; j++) s += logy.checked ? Math.log(pts[j][1]) : pts[j][1];
          s /= hi - lo;
          return [p[0], logy.checked ? Math.exp(s) : s];
        });
      }
      return pts;
    }
    function ticks(lo, hi, n) {
      const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1)));
      const m = [1, 2, 5, 10].find((k) => (hi - lo) / (k * step) <= n) * step;
      const out = [];
      for (let v = Math.ceil(lo / m) * m; v <= hi + 1e-9 * m; v += m) out.push(v);
      return out;
    }
    function draw() {
      const W = Math.min(root.clientWidth || 900, 1100), H = 380, dpr = window.devicePixelRatio || 1;
      canvas.width = W * dpr; canvas.height = H * dpr;
      canvas.style.width = W + "px"; canvas.style.height = H + "px";
      const ctx = canvas.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, H);
      const c = sel.value;
      const all = runs.map((r, i) => (hidden.has(i) ? [] : series(r, c)));
      runs.forEach((r, i) => {
        labels[i].lastChild.textContent = r.columns.includes(c) ? "(" + r.n_rows + " rows logged)" : "(no column " + c + ")";
      });
      const pts = all.flat();
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillStyle = "#333";
      if (!pts.length) { ctx.fillText("no positive values of " + c + (logy.checked ? " (log scale)" : ""), 60, 40); return; }
      const L = 70, Rm = 16, T = 14, Bm = 40;
      const tx = (v) => (logy.checked ? Math.log10(v) : v);
      let x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]));
      let y0 = Math.min(...pts.map((p) => tx(p[1]))), y1 = Math.max(...pts.map((p) => tx(p[1])));
      if (x1 === x0) x1 = x0 + 1;
      if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
      const pad = 0.04 * (y1 - y0); // keep the extreme points off the frame
      y0 -= pad; y1 += pad;
      const px = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - Rm);
      const py = (y) => H - Bm - ((y - y0) / (y1 - y0)) * (H - T - Bm);
      ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1;
      ctx.textAlign = "right";
      let yt = ticks(y0, y1, 6);
      if (logy.checked) {
        // decades, and 2x / 5x within them when the range spans less than three decades
        const mult = y1 - y0 < 3 ? [1, 2, 5] : [1];
        yt = [];
        for (let d = Math.floor(y0); d <= Math.ceil(y1); d++) for (const m of mult) yt.push(d + Math.log10(m));
        if (mult.length === 1 && yt.length > 8) yt = yt.filter((v, i) => i % Math.ceil(yt.length / 8) === 0);
      }
      for (const v of yt) {
        if (v < y0 - 1e-9 || v > y1 + 1e-9) continue;
        ctx.beginPath(); ctx.moveTo(L, py(v)); ctx.lineTo(W - Rm, py(v)); ctx.stroke();
        ctx.fillText(logy.checked ? fmt(Math.pow(10, v), 2) : fmt(v, 3), L - 6, py(v) + 4);
      }
      ctx.textAlign = "center";
      for (const v of ticks(x0, x1, 8)) {
        ctx.beginPath(); ctx.moveTo(px(v), T); ctx.lineTo(px(v), H - Bm); ctx.stroke();
        ctx.fillText(fmt(v, 6), px(v), H - Bm + 16);
      }
      ctx.fillText("iteration", (L + W - Rm) / 2, H - 6);
      ctx.save(); ctx.translate(14, (T + H - Bm) / 2); ctx.rotate(-Math.PI / 2); ctx.fillText(c + (logy.checked ? " (log)" : ""), 0, 0); ctx.restore();
      all.forEach((p, i) => {
        if (!p.length) return;
        ctx.strokeStyle = palette[i % palette.length]; ctx.lineWidth = 1.5;
        ctx.beginPath();
        p.forEach((q, j) => { const X = px(q[0]), Y = py(tx(q[1])); if (j) ctx.lineTo(X, Y); else ctx.moveTo(X, Y); });
        ctx.stroke();
      });
      ctx.strokeStyle = "#888"; ctx.strokeRect(L, T, W - L - Rm, H - T - Bm);
    }
    draw();
  }

  // ------------------------------------------------------------------ entry points
  function init(data) {
    S.data = data;
    document.querySelectorAll("table.sortable").forEach(makeSortable);
    buildViewer();
    buildCurves();
  }
  function addImage(i, payload) {
    const resolve = S.waiting[i];
    delete S.waiting[i];
    if (resolve) resolve(payload);
  }
  window.itmnReport = { init, addImage, state: S, showImage, render };
})();
