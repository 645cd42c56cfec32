import WebOutput

/// The fixed parts of the teaching page: head with style and error hook, and the page script.
extension TeachingPage {
    /// Document head and the opening body tag. The first script records any script error of the page (window.onerror)
    /// so that the status line and headless tests see it.
    static func head(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="generator" content="crtsim teach">
        <title>\(HTML.escape(title))</title>
        <script>window.teachErrors=[];window.onerror=function(m){window.teachErrors.push(String(m));};</script>
        <style>
        body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:0 auto;padding:8px 16px 40px;max-width:1180px;color:#1a1a1a;background:#fff;line-height:1.4}
        h1{font-size:23px;margin:10px 0 6px}
        h2{font-size:19px;margin:30px 0 8px;padding-top:8px;border-top:2px solid #d8d8d8}
        h3{font-size:16px;margin:18px 0 6px}
        p{font-size:14px;margin:6px 0}
        .lead{font-size:15px}
        .row{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}
        .panel{flex:1;min-width:380px;font-size:14px}
        .levels{margin-top:6px;font-size:14px}
        .levels label{margin-right:14px}
        #lge{width:440px;height:440px;image-rendering:pixelated;background:#000}
        #threshold{width:100%;max-width:520px}
        .swatch{display:inline-block;width:12px;height:12px;margin:0 5px 0 2px;vertical-align:-1px;border:1px solid #444}
        .facts{border-collapse:collapse;font-size:13px;margin:8px 0}
        .facts th,.facts td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
        .facts th{background:#f3f3f3;font-weight:600}
        .note{color:#555;font-size:13px}
        .result{font-size:15px;background:#f4f8ff;border-left:4px solid #3a6fd8;padding:6px 10px}
        img.figure{max-width:100%;height:auto;display:block}
        #fourdmap{width:100%;height:625px;border:1px solid #ccc}
        .bullseye{width:760px;height:640px;overflow:hidden}
        .bullseye img{display:block}
        img.half{width:560px;height:auto}
        img.overlay{width:560px;height:560px;display:block}
        figure{margin:0}
        figcaption{font-size:13px;text-align:center;color:#444}
        .segments{border-collapse:collapse;font-size:12.5px;width:100%}
        .segments th,.segments td{border:1px solid #d0d0d0;padding:2px 6px;text-align:left;vertical-align:top}
        .segments th{background:#eee;position:sticky;top:0}
        .segments tr.primary{background:#ffe98a}
        .segments tr.lma{background:#fbe0ef}
        .segments tr.excluded{color:#666;background:#f6f6f6}
        .truth{background:#fff8e6;border:2px solid #e0b84a;padding:4px 14px 10px;margin-top:26px}
        .truth h2{border-top:none}
        .status{font-size:12px;color:#777;margin-top:30px}
        </style>
        </head>
        <body>

        """
    }

    /// Injected first into the 4D-MAP page's head (it runs in an iframe): its script errors are recorded on its root
    /// element, where the page script reads them.
    static let frameErrorHook = "window.onerror=function(m){document.documentElement.setAttribute('data-teach-error',String(m));};"

    /// Injected into the 4D-MAP page: scaled so that its bullseye, surface and colour bar fit the page width.
    static let frameStyle = "html{zoom:0.88}"

    /// The page script: draws the LGE slice with the threshold overlay, then reports the page's status.
    static let script = #"""
"use strict";
(function () {
  const node = document.getElementById("lge-data");
  if (!node) return;
  const L = JSON.parse(node.textContent);
  const W = L.width, H = L.height;
  const canvas = document.getElementById("lge"), g = canvas.getContext("2d");
  const off = document.createElement("canvas");
  off.width = W; off.height = H;
  const og = off.getContext("2d");
  const slider = document.getElementById("threshold"), shown = document.getElementById("threshold-value");
  const pipeline = document.getElementById("show-pipeline"), burden = document.getElementById("burden");
  let level = Math.max(0, L.levels.findIndex(function (l) { return l.name === "mid"; }));
  const box = document.getElementById("lge-levels");
  L.levels.forEach(function (l, i) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "radio"; input.name = "lge-level"; input.checked = i === level;
    input.addEventListener("change", function () { level = i; draw(); });
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + l.name + " (LGE slice " + (l.slice + 1) + ")"));
    box.appendChild(label);
  });
  function blend(d, p, r, gr, b, a) {
    d[4 * p] = Math.round(d[4 * p] * (1 - a) + r * a);
    d[4 * p + 1] = Math.round(d[4 * p + 1] * (1 - a) + gr * a);
    d[4 * p + 2] = Math.round(d[4 * p + 2] * (1 - a) + b * a);
  }
  function draw() {
    const f = Number(slider.value), cut = Math.round(f * 1000), lv = L.levels[level];
    shown.textContent = f.toFixed(2);
    const img = og.createImageData(W, H), d = img.data;
    for (let p = 0; p < W * H; p++) {
      const v = lv.grey[p];
      d[4 * p] = v; d[4 * p + 1] = v; d[4 * p + 2] = v; d[4 * p + 3] = 255;
    }
    const inMyo = new Uint8Array(W * H);
    lv.myo.forEach(function (p) { inMyo[p] = 1; });
    let above = 0;
    if (pipeline.checked) {
      lv.scar.forEach(function (p) { blend(d, p, 255, 210, 31, 0.75); });
    } else {
      for (let i = 0; i < lv.myo.length; i++) {
        if (lv.rel[i] >= cut) { above++; blend(d, lv.myo[i], 255, 60, 40, 0.7); }
      }
    }
    og.putImageData(img, 0, 0);
    g.imageSmoothingEnabled = false;
    g.clearRect(0, 0, canvas.width, canvas.height);
    g.drawImage(off, 0, 0, canvas.width, canvas.height);
    // Myocardium outline along the pixel edges between the mask and the rest (drawn over, hiding no pixel).
    const sx = canvas.width / W, sy = canvas.height / H;
    g.beginPath();
    for (let p = 0; p < W * H; p++) {
      if (!inMyo[p]) continue;
      const x = p % W, y = (p - x) / W;
      if (x === 0 || !inMyo[p - 1]) { g.moveTo(x * sx, y * sy); g.lineTo(x * sx, (y + 1) * sy); }
      if (x === W - 1 || !inMyo[p + 1]) { g.moveTo((x + 1) * sx, y * sy); g.lineTo((x + 1) * sx, (y + 1) * sy); }
      if (y === 0 || !inMyo[p - W]) { g.moveTo(x * sx, y * sy); g.lineTo((x + 1) * sx, y * sy); }
      if (y === H - 1 || !inMyo[p + W]) { g.moveTo(x * sx, (y + 1) * sy); g.lineTo((x + 1) * sx, (y + 1) * sy); }
    }
    g.strokeStyle = "rgb(40,220,120)";
    g.lineWidth = 1.5;
    g.stroke();
    const volume = L.above[Math.round(f * 100)];
    if (pipeline.checked) {
      burden.textContent = "Pipeline's final scar on this slice: " + lv.scar.length + " pixels.";
    } else {
      burden.textContent = "At " + f.toFixed(2) + ": " + above + " of " + lv.myo.length + " myocardial pixels on this slice (" +
        (100 * above / Math.max(1, lv.myo.length)).toFixed(1) + " %); whole LV before the presence gate: " +
        (100 * volume).toFixed(1) + " % of the myocardium.";
    }
  }
  slider.addEventListener("input", draw);
  pipeline.addEventListener("change", draw);
  draw();
})();
window.addEventListener("load", function () {
  const errors = window.teachErrors.slice();
  const frame = document.getElementById("fourdmap");
  if (frame) {
    const doc = frame.contentDocument;
    if (!doc) errors.push("4D-MAP: frame not loaded");
    else if (doc.documentElement.getAttribute("data-teach-error")) errors.push("4D-MAP: " + doc.documentElement.getAttribute("data-teach-error"));
  }
  const b = document.getElementById("bullseye-activation");
  if (b) {
    const r = b.getBoundingClientRect();
    document.body.setAttribute("data-bullseye-rect",
      [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height].map(Math.round).join(","));
  }
  const status = errors.length ? "error: " + errors.join("; ") : "ok";
  document.body.setAttribute("data-teach-status", status);
  document.getElementById("teach-status").textContent = "Page status: " + status;
});
"""#
}
