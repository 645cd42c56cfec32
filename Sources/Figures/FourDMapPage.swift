import Foundation
import SegmentModel
import WebOutput

/// The 4D mechanical activation plot (4D-MAP, DOMAIN.md section 1 item 3) as one self-contained HTML page:
/// a time slider and a play button over the cine frames; on the left the 36-segment bullseye coloured by each
/// segment's radial strain at the current frame (with scar, LMA targets and the primary target marked), on the
/// right the 3D LV surface coloured by the strain of each vertex's segment, and a colour bar.
///
/// The page needs no network: data and script are inline, drawn on HTML canvases. The surface is shown with an
/// orthographic projection, painter's algorithm (triangles sorted far to near) and flat shading; dragging the
/// mouse rotates it. It starts centred with the base up (from the mean of the apical to the mean of the basal
/// segments' vertices) and the lateral wall (AHA inferolateral and anterolateral) towards the viewer, on the frame
/// where the mean strain first reaches half its range (mid-upstroke, where late segments lag). The output is
/// deterministic: the same input writes the same bytes.
///
/// Inputs are plain arrays, free of pipeline types.
public struct FourDMapPage: Sendable {
    public var title: String
    /// Cine frame times (ms after the R trigger), increasing.
    public var frameTimesMs: [Double]
    /// Radial strain as a fraction (0.30 = 30 %), `radialStrain[frame][id - 1]`: 36 per frame; nil = not
    /// measured (drawn grey and hatched).
    public var radialStrain: [[Double?]]
    /// Colour scale in percent of strain (the page shows strain in %). Default: yellow-orange-red 0...50 %.
    public var scale: ColorScale
    /// LV surface vertices, each `[x, y, z]` in mm (any right-handed frame, e.g. CMR patient LPS).
    public var vertices: [[Double]]
    /// Triangles as three vertex indices (0-based) each.
    public var triangles: [[Int]]
    /// Segment of each vertex: 1...36, or 0 for the apical cap and anything outside the 36 (drawn grey).
    public var vertexSegments: [Int]
    /// LMA target ids, latest first (at most 3 are numbered).
    public var lmaTargets: [Int]
    public var primaryTarget: Int?
    public var scarred: Set<Int>

    /// The default strain scale: sequential yellow-orange-red from 0 to 50 % radial strain.
    public static let defaultScale = ColorScale(map: .yellowOrangeRed, lower: 0, upper: 50, label: "radial strain (%)")

    public init(title: String, frameTimesMs: [Double], radialStrain: [[Double?]],
                scale: ColorScale = FourDMapPage.defaultScale, vertices: [[Double]], triangles: [[Int]],
                vertexSegments: [Int], lmaTargets: [Int] = [], primaryTarget: Int? = nil, scarred: Set<Int> = []) {
        self.title = title; self.frameTimesMs = frameTimesMs; self.radialStrain = radialStrain; self.scale = scale
        self.vertices = vertices; self.triangles = triangles; self.vertexSegments = vertexSegments
        self.lmaTargets = lmaTargets; self.primaryTarget = primaryTarget; self.scarred = scarred
    }

    /// Writes the page as UTF-8 HTML at `path` (the parent folder must exist; an existing file is replaced).
    /// - Throws: as `html()`, or `FigureError.invalidInput` naming the path when it cannot be written.
    public func write(path: String) throws {
        let text = try html()
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw FigureError.invalidInput("cannot write 4D-MAP page \(path): \(error.localizedDescription)")
        }
    }

    /// The page's HTML text.
    /// - Throws: `FigureError.invalidInput` when there are no frames, the strain frame count differs from the
    ///   frame times, a frame has other than 36 values, times are not increasing, a value or vertex is not finite,
    ///   a vertex has other than 3 coordinates, a triangle other than 3 valid indices, `vertexSegments` has
    ///   another count or an id outside 0...36, a target id is outside 1...36, or the scale is empty.
    public func html() throws -> String {
        try validate()
        let view = alignedView()
        let ticks = scale.barTicks()
        let data: JSON = .object([
            "title": .string(title),
            "frameCount": .int(frameTimesMs.count),
            "initialFrame": .int(openingFrame()),
            "times": .numbers(frameTimesMs, decimals: 1),
            "strain": .array(radialStrain.map { frame in .array(frame.map { $0.map { .fixed($0 * 100, decimals: 2) } ?? .null }) }),
            "lower": .fixed(scale.lower, decimals: 6),
            "upper": .fixed(scale.upper, decimals: 6),
            "label": .string(scale.label),
            "stops": .array(scale.map.stops.map { c in .numbers([c.red, c.green, c.blue].map { $0 * 255 }, decimals: 1) }),
            "ticks": .array(ticks.values.map { [.fixed($0, decimals: 6), .string(ticks.label($0))] }),
            "capFraction": .fixed(Bullseye36Style().capRadiusFraction, decimals: 4),
            "lma": .ints(lmaTargets.prefix(Bullseye36.maximumLMATargets)),
            "primary": primaryTarget.map { .int($0) } ?? .null,
            "scarred": .ints(scarred.sorted()),
            "names": .array(Segment36.all.map { .string($0.name) }),
            "walls": .array(Segment36.ahaSectorNames.map { .string(Bullseye36.wallLabel($0)) }),
            "vertices": .numbers(view.vertices, decimals: 2),
            "radius": .fixed(view.radius, decimals: 2),
            "triangles": .ints(triangles.flatMap { $0 }),
            "triangleSegments": .ints(triangleSegments()),
            "marks": .array(view.marks.map { m in
                ["id": .int(m.id), "c": .numbers(m.centre, decimals: 2), "n": .numbers(m.normal, decimals: 3)]
            }),
            "base": .numbers(view.base, decimals: 2),
            "apex": .numbers(view.apex, decimals: 2),
        ])

        return FourDMapPage.template
            .replacingOccurrences(of: "__TITLE__", with: FourDMapPage.titleText(title))
            .replacingOccurrences(of: "__FRAMES__", with: "\(frameTimesMs.count)")
            .replacingOccurrences(of: "__MAXFRAME__", with: "\(frameTimesMs.count - 1)")
            .replacingOccurrences(of: "__DATA__", with: data.encoded)
    }

    // MARK: Validation

    private func validate() throws {
        let n = Segment36.all.count
        guard !frameTimesMs.isEmpty, radialStrain.count == frameTimesMs.count else {
            throw FigureError.invalidInput(
                "4D-MAP needs one strain frame per frame time: \(radialStrain.count) vs \(frameTimesMs.count)")
        }
        guard frameTimesMs.allSatisfy(\.isFinite), zip(frameTimesMs, frameTimesMs.dropFirst()).allSatisfy({ $0 < $1 })
        else { throw FigureError.invalidInput("4D-MAP frame times must be finite and increasing") }
        if let bad = radialStrain.firstIndex(where: { $0.count != n }) {
            throw FigureError.invalidInput("4D-MAP strain frame \(bad) has \(radialStrain[bad].count) values, not 36")
        }
        guard radialStrain.allSatisfy({ $0.allSatisfy { $0?.isFinite ?? true } }) else {
            throw FigureError.invalidInput("4D-MAP strain values must be finite")
        }
        try scale.validate("4D-MAP")
        guard vertices.allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isFinite) }) else {
            throw FigureError.invalidInput("4D-MAP vertices must be [x, y, z] with finite coordinates")
        }
        guard triangles.allSatisfy({ $0.count == 3 && $0.allSatisfy { vertices.indices.contains($0) } }) else {
            throw FigureError.invalidInput("4D-MAP triangles must be 3 indices into the \(vertices.count) vertices")
        }
        guard vertexSegments.count == vertices.count, vertexSegments.allSatisfy({ (0...n).contains($0) }) else {
            throw FigureError.invalidInput(
                "4D-MAP needs one segment id (0...36) per vertex: \(vertexSegments.count) for \(vertices.count)")
        }
        let ids = lmaTargets + scarred + [primaryTarget].compactMap { $0 }
        if let bad = ids.first(where: { Segment36($0) == nil }) {
            throw FigureError.invalidInput("segment id \(bad) is not in 1...36")
        }
    }

    // MARK: Geometry

    /// The frame the page opens on: the first whose mean measured strain reaches half the largest mean (the
    /// upstroke of systole, where late-activating segments still lag and stand out); 0 without measurements.
    func openingFrame() -> Int {
        let means = radialStrain.map { f -> Double in
            let v = f.compactMap { $0 }
            return v.isEmpty ? -.infinity : v.reduce(0, +) / Double(v.count)
        }
        guard let peak = means.max(), peak > -.infinity else { return 0 }
        let base = means.filter { $0 > -.infinity }.min() ?? peak
        return means.firstIndex { $0 > -.infinity && $0 - base >= (peak - base) / 2 } ?? 0
    }

    /// Segment of each triangle: the one most of its vertices have (first vertex's on a three-way tie).
    private func triangleSegments() -> [Int] {
        triangles.map { t in
            let s = t.map { vertexSegments[$0] }
            return s[1] == s[2] ? s[1] : s[0]
        }
    }

    /// The mesh in view coordinates (mm): centred on the vertex mean, y from apex to base, z towards the lateral
    /// wall, x = y × z (a proper rotation of the input, so nothing is mirrored).
    private func alignedView() -> (vertices: [Double], radius: Double, base: [Double], apex: [Double],
                                   marks: [(id: Int, centre: [Double], normal: [Double])]) {
        typealias V = (Double, Double, Double)
        func mean(_ sel: (Int) -> Bool) -> V? {
            var s = (0.0, 0.0, 0.0), n = 0
            for (i, p) in vertices.enumerated() where sel(vertexSegments[i]) {
                s.0 += p[0]; s.1 += p[1]; s.2 += p[2]; n += 1
            }
            return n == 0 ? nil : (s.0 / Double(n), s.1 / Double(n), s.2 / Double(n))
        }
        func sub(_ a: V, _ b: V) -> V { (a.0 - b.0, a.1 - b.1, a.2 - b.2) }
        func dot(_ a: V, _ b: V) -> Double { a.0 * b.0 + a.1 * b.1 + a.2 * b.2 }
        func scaled(_ a: V, _ k: Double) -> V { (a.0 * k, a.1 * k, a.2 * k) }
        func cross(_ a: V, _ b: V) -> V { (a.1 * b.2 - a.2 * b.1, a.2 * b.0 - a.0 * b.2, a.0 * b.1 - a.1 * b.0) }
        func unit(_ a: V) -> V? { let l = dot(a, a).squareRoot(); return l > 1e-9 ? scaled(a, 1 / l) : nil }

        let centre = mean { _ in true } ?? (0, 0, 0)
        let basal = mean { (1...12).contains($0) }, apical = mean { $0 == 0 || (25...36).contains($0) }
        var up: V = (0, 1, 0)
        if let b = basal, let a = apical, let u = unit(sub(b, a)) { up = u }
        // Lateral: the mean of the inferolateral and anterolateral vertices, made perpendicular to the axis.
        let lateralIds = Set(Segment36.all.filter { $0.ahaSector == 5 || $0.ahaSector == 6 }.map(\.id))
        var toward: V? = nil
        if let l = mean({ lateralIds.contains($0) }) {
            let d = sub(l, centre)
            toward = unit(sub(d, scaled(up, dot(d, up))))
        }
        if toward == nil {
            // Any direction perpendicular to the axis.
            let trial: V = abs(up.0) < 0.9 ? (1, 0, 0) : (0, 0, 1)
            toward = unit(sub(trial, scaled(up, dot(trial, up))))
        }
        let z = toward!, y = up, x = cross(y, z)
        func view(_ p: V) -> [Double] { let d = sub(p, centre); return [dot(d, x), dot(d, y), dot(d, z)] }

        var flat: [Double] = []
        flat.reserveCapacity(vertices.count * 3)
        var radius = 1.0
        for p in vertices {
            let v = view((p[0], p[1], p[2]))
            flat += v
            radius = max(radius, (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).squareRoot())
        }
        let marked = (Array(lmaTargets.prefix(Bullseye36.maximumLMATargets)) + [primaryTarget].compactMap { $0 })
        var marks: [(id: Int, centre: [Double], normal: [Double])] = []
        for id in Set(marked).sorted() {
            guard let c = mean({ $0 == id }) else { continue }
            let v = view(c)
            let radial = (v[0], 0.0, v[2])
            let n = unit(radial) ?? (0, 0, 1)
            marks.append((id, v, [n.0, n.1, n.2]))
        }
        return (flat, radius, view(basal ?? centre), view(apical ?? centre), marks)
    }

    // MARK: Text

    /// The title as HTML text, with `_` also written as `&#95;` so a title cannot hold a template placeholder.
    static func titleText(_ s: String) -> String {
        HTML.escape(s).replacingOccurrences(of: "_", with: "&#95;")
    }

    /// The page; `__TITLE__`, `__FRAMES__`, `__MAXFRAME__` and `__DATA__` are filled in by `html()`.
    static let template = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="crtsim Figures.FourDMapPage">
<meta name="crtsim-frame-count" content="__FRAMES__">
<title>__TITLE__</title>
<style>
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:0;background:#fff;color:#1a1a1a}
header{padding:10px 16px 2px}
h1{font-size:19px;margin:0}
.sub{font-size:12px;color:#555;margin-top:3px}
.controls{display:flex;align-items:center;gap:12px;padding:8px 16px}
#slider{flex:1;max-width:860px}
#time{font-variant-numeric:tabular-nums;min-width:220px;font-size:15px;font-weight:bold}
button{font-size:14px;padding:3px 12px;min-width:76px}
.views{display:flex;gap:8px;padding:0 16px;align-items:flex-start}
canvas{background:#fff}
#surface{cursor:grab;border-left:1px solid #e3e3e3}
.legend{font-size:12.5px;padding:6px 16px;color:#333}
.legend span{margin-right:18px;white-space:nowrap}
</style>
</head>
<body>
<header><h1>__TITLE__</h1>
<div class="sub">4D mechanical activation plot: radial strain per segment over the cardiac cycle. Left: 36-segment
bullseye (base outside, apex in the centre, anterior at the top, septum on the left). Right: LV surface, base up
(drag to rotate).</div></header>
<div class="controls"><button id="play" type="button">Play</button>
<input id="slider" type="range" min="0" max="__MAXFRAME__" value="0" step="1" aria-label="cine frame">
<span id="time"></span></div>
<div class="views"><canvas id="bullseye" width="600" height="540"></canvas><canvas id="surface" width="540"
height="540"></canvas><canvas id="bar" width="110" height="540"></canvas></div>
<div class="legend" id="legend"></div>
<script id="crtsim-4dmap-data" type="application/json">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("crtsim-4dmap-data").textContent);
const nF = D.frameCount;
const MISSING = [219, 219, 219], CAP = [184, 184, 184], BADGE = "#c2006b", STAR = "#ffd21f";
const scarSet = new Set(D.scarred);

function mapColor(t) {
  if (!(t >= 0)) t = 0;
  if (t > 1) t = 1;
  const s = D.stops, x = t * (s.length - 1), k = Math.min(Math.floor(x), s.length - 2), f = x - k;
  return [0, 1, 2].map(i => s[k][i] + (s[k + 1][i] - s[k][i]) * f);
}
function colorOf(v) { return v === null ? null : mapColor((v - D.lower) / (D.upper - D.lower)); }
function css(c, k) { k = k === undefined ? 1 : k;
  return "rgb(" + Math.round(c[0] * k) + "," + Math.round(c[1] * k) + "," + Math.round(c[2] * k) + ")"; }
function luminance(c) { return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255; }

// ---- Bullseye: segment angle a (degrees from the anterior RV insertion, through the septum) is drawn at the
// screen angle a - 240 counter-clockwise from +x, so anterior (330) is up and the septum (60) left.
const BE = document.getElementById("bullseye"), bx = BE.getContext("2d");
const BW = BE.width, BH = BE.height, CX = BW / 2, CY = BH / 2, R = Math.min(BW, BH) / 2 - 62;
const CAPR = R * D.capFraction, RINGW = (R - CAPR) / 3;
function scr(a) { return (a - 240) * Math.PI / 180; }
function pt(r, a) { const t = scr(a); return [CX + r * Math.cos(t), CY - r * Math.sin(t)]; }
function ringRadii(ring) { const o = R - ring * RINGW; return [o - RINGW, o]; }
function segStart(id) { return 300 + 30 * ((id - 1) % 12); }
function segPath(id, inset) {
  inset = inset || 0;
  const rr = ringRadii(Math.floor((id - 1) / 12)), a0 = segStart(id), a1 = a0 + 30;
  const ro = rr[1] - inset, ri = rr[0] + inset, da = inset / ((ro + ri) / 2);
  bx.beginPath();
  bx.arc(CX, CY, ro, -scr(a1) + da, -scr(a0) - da);
  bx.arc(CX, CY, ri, -scr(a0) - da, -scr(a1) + da, true);
  bx.closePath();
}
function hatchPattern(bg, fg, width, cross) {
  const c = document.createElement("canvas"); c.width = c.height = cross ? 8 : 7;
  const g = c.getContext("2d"), n = c.width;
  if (bg) { g.fillStyle = bg; g.fillRect(0, 0, n, n); }
  g.strokeStyle = fg; g.lineWidth = width;
  g.beginPath(); g.moveTo(-1, n + 1); g.lineTo(n + 1, -1); g.moveTo(-1, 1); g.lineTo(1, -1);
  g.moveTo(n - 1, n + 1); g.lineTo(n + 1, n - 1);
  if (cross) { g.moveTo(-1, -1); g.lineTo(n + 1, n + 1); g.moveTo(n - 1, -1); g.lineTo(n + 1, 1);
    g.moveTo(-1, n - 1); g.lineTo(1, n + 1); }
  g.stroke();
  return bx.createPattern(c, "repeat");
}
const missingPattern = hatchPattern("rgb(219,219,219)", "rgb(158,158,158)", 1, false);
const scarPattern = hatchPattern(null, "rgba(0,0,0,0.85)", 1.3, true);

function drawBadge(ctx, x, y, r, text) {
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fillStyle = "#fff"; ctx.fill();
  ctx.lineWidth = Math.max(1.5, r * 0.22); ctx.strokeStyle = BADGE; ctx.stroke();
  ctx.fillStyle = BADGE; ctx.font = "bold " + Math.round(r * 1.25) + "px DejaVu Sans, sans-serif";
  ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(text, x, y + 0.5);
}
function drawStar(ctx, x, y, r) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const rr = i % 2 === 0 ? r * 1.1 : r * 0.46, a = -Math.PI / 2 + i * Math.PI / 5;
    if (i === 0) ctx.moveTo(x + rr * Math.cos(a), y + rr * Math.sin(a)); else ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath(); ctx.fillStyle = STAR; ctx.fill(); ctx.lineWidth = 1.4; ctx.strokeStyle = "#000"; ctx.stroke();
}

function drawBullseye(f) {
  const v = D.strain[f];
  bx.fillStyle = "#fff"; bx.fillRect(0, 0, BW, BH);
  for (let id = 1; id <= 36; id++) {
    segPath(id);
    const c = colorOf(v[id - 1]);
    bx.fillStyle = c ? css(c) : missingPattern; bx.fill();
    if (scarSet.has(id)) { bx.fillStyle = scarPattern; bx.fill(); }
  }
  bx.beginPath(); bx.arc(CX, CY, CAPR, 0, 2 * Math.PI); bx.fillStyle = css(CAP); bx.fill();
  // Halves thin and white, AHA-18 outlines bold.
  bx.strokeStyle = "rgba(255,255,255,0.85)"; bx.lineWidth = 1; bx.beginPath();
  for (let ring = 0; ring < 3; ring++) for (let k = 1; k < 12; k += 2) {
    const rr = ringRadii(ring), p = pt(rr[0], 300 + 30 * k), q = pt(rr[1], 300 + 30 * k);
    bx.moveTo(p[0], p[1]); bx.lineTo(q[0], q[1]);
  }
  bx.stroke();
  bx.strokeStyle = "#141414"; bx.lineWidth = 2.6; bx.beginPath();
  for (const r of [R, R - RINGW, R - 2 * RINGW, CAPR]) { bx.moveTo(CX + r, CY); bx.arc(CX, CY, r, 0, 2 * Math.PI); }
  for (let k = 0; k < 6; k++) { const p = pt(CAPR, 300 + 60 * k), q = pt(R, 300 + 60 * k);
    bx.moveTo(p[0], p[1]); bx.lineTo(q[0], q[1]); }
  bx.stroke();
  // Target outlines: black over a white halo, thicker for the primary target.
  const outlined = new Set(D.lma); if (D.primary !== null) outlined.add(D.primary);
  for (const id of Array.from(outlined).sort((a, b) => a - b)) {
    const w = id === D.primary ? 3.2 : 2.0;
    segPath(id, w + 0.5);
    bx.strokeStyle = "#fff"; bx.lineWidth = w + 2.4; bx.stroke();
    bx.strokeStyle = "#000"; bx.lineWidth = w; bx.stroke();
  }
  // Id numbers and markers, side by side along the longer direction of the segment.
  for (let id = 1; id <= 36; id++) {
    const items = ["id"], rank = D.lma.indexOf(id);
    if (rank >= 0) items.push("lma" + (rank + 1));
    if (id === D.primary) items.push("star");
    const rr = ringRadii(Math.floor((id - 1) / 12)), mid = (rr[0] + rr[1]) / 2, margin = 4;
    const width = rr[1] - rr[0] - 2 * margin, arc = mid * Math.PI / 6 - 2 * margin, along = arc > width;
    const slot = (along ? arc : width) / items.length, across = along ? width : arc;
    const mr = Math.min(11, slot * 0.4, across * 0.3), centre = segStart(id) + 15;
    items.forEach((item, k) => {
      const off = (k + 0.5) * slot - (along ? arc : width) / 2;
      const p = along ? pt(mid, centre + off / mid * 180 / Math.PI) : pt(mid - off, centre);
      if (item === "id") {
        const c = colorOf(v[id - 1]) || MISSING, dark = luminance(c) < 0.45;
        const size = Math.min(11, Math.max(7, Math.min(slot * 0.5, across * 0.45)));
        bx.font = "bold " + size.toFixed(1) + "px DejaVu Sans, sans-serif"; bx.textAlign = "center";
        bx.textBaseline = "middle"; bx.lineJoin = "round"; bx.lineWidth = 2.5;
        bx.strokeStyle = dark ? "rgba(0,0,0,0.45)" : "rgba(255,255,255,0.45)";
        if (scarSet.has(id)) bx.strokeStyle = dark ? "rgba(0,0,0,0.9)" : "rgba(255,255,255,0.9)";
        bx.strokeText(String(id), p[0], p[1]); bx.fillStyle = dark ? "#fff" : "#000"; bx.fillText(String(id), p[0], p[1]);
      } else if (item === "star") drawStar(bx, p[0], p[1], mr);
      else drawBadge(bx, p[0], p[1], mr, item.slice(3));
    });
  }
  bx.font = "11px DejaVu Sans, sans-serif"; bx.fillStyle = "#333"; bx.textAlign = "center"; bx.textBaseline = "middle";
  bx.fillText("cap", CX, CY);
  // Wall names and RV insertion marks.
  bx.font = "13px DejaVu Sans, sans-serif"; bx.fillStyle = "#1a1a1a";
  D.walls.forEach((name, k) => {
    const a = 330 + 60 * k, t = scr(a), c = Math.cos(t), s = Math.sin(t), p = pt(R + 11, a);
    bx.textAlign = Math.abs(c) < 0.3 ? "center" : (c < 0 ? "right" : "left");
    bx.fillText(name, p[0], p[1] - (Math.abs(c) < 0.3 ? s * 7 : 0));
  });
  bx.fillStyle = "#595959"; bx.font = "9px DejaVu Sans, sans-serif";
  for (const a of [0, 120]) {
    const tip = pt(R + 2, a), l = pt(R + 13, a - 3.2), r = pt(R + 13, a + 3.2), t = pt(R + 19, a);
    bx.beginPath(); bx.moveTo(tip[0], tip[1]); bx.lineTo(l[0], l[1]); bx.lineTo(r[0], r[1]); bx.closePath(); bx.fill();
    bx.textAlign = "center"; bx.fillText("RV", t[0], t[1]);
  }
}

// ---- Surface: orthographic view of the aligned mesh (y base-up, z lateral wall to the viewer).
const SF = document.getElementById("surface"), sx = SF.getContext("2d");
const SW = SF.width, SH = SF.height, SCALE = 0.45 * Math.min(SW, SH) / D.radius;
const V = D.vertices, T = D.triangles, TS = D.triangleSegments, nV = V.length / 3, nT = T.length / 3;
const P = new Float64Array(V.length), depth = new Float64Array(nT), order = new Uint32Array(nT);
let yaw = 0, pitch = 0.35, frame = D.initialFrame;
function rotate(x, y, z) {
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;
  return [x1, cp * y - sp * z1, sp * y + cp * z1];
}
function toScreen(p) { return [SW / 2 + SCALE * p[0], SH / 2 - SCALE * p[1]]; }
function drawSurface(f) {
  const v = D.strain[f];
  sx.fillStyle = "#fff"; sx.fillRect(0, 0, SW, SH);
  for (let i = 0; i < nV; i++) {
    const p = rotate(V[3 * i], V[3 * i + 1], V[3 * i + 2]);
    P[3 * i] = p[0]; P[3 * i + 1] = p[1]; P[3 * i + 2] = p[2];
  }
  for (let t = 0; t < nT; t++) {
    depth[t] = P[3 * T[3 * t] + 2] + P[3 * T[3 * t + 1] + 2] + P[3 * T[3 * t + 2] + 2]; order[t] = t;
  }
  order.sort((a, b) => depth[a] - depth[b] || a - b);   // far (small z) first: painter's algorithm
  const segColor = [CAP];
  for (let id = 1; id <= 36; id++) segColor.push(colorOf(v[id - 1]) || MISSING);
  sx.lineJoin = "round"; sx.lineWidth = 0.6;
  for (let k = 0; k < nT; k++) {
    const t = order[k], a = 3 * T[3 * t], b = 3 * T[3 * t + 1], c = 3 * T[3 * t + 2];
    const ux = P[b] - P[a], uy = P[b + 1] - P[a + 1], uz = P[b + 2] - P[a + 2];
    const wx = P[c] - P[a], wy = P[c + 1] - P[a + 1], wz = P[c + 2] - P[a + 2];
    const nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
    const len = Math.hypot(nx, ny, nz) || 1, shade = 0.35 + 0.65 * Math.abs(nz) / len;
    const s = TS[t], col = css(segColor[s], shade * (scarSet.has(s) ? 0.55 : 1));
    sx.fillStyle = col; sx.strokeStyle = col; sx.beginPath();
    sx.moveTo(SW / 2 + SCALE * P[a], SH / 2 - SCALE * P[a + 1]);
    sx.lineTo(SW / 2 + SCALE * P[b], SH / 2 - SCALE * P[b + 1]);
    sx.lineTo(SW / 2 + SCALE * P[c], SH / 2 - SCALE * P[c + 1]);
    sx.closePath(); sx.fill(); sx.stroke();
  }
  // Targets on the side facing the viewer.
  for (const m of D.marks) {
    const n = rotate(m.n[0], m.n[1], m.n[2]);
    if (n[2] <= 0.05) continue;
    const p = toScreen(rotate(m.c[0], m.c[1], m.c[2])), rank = D.lma.indexOf(m.id);
    if (m.id === D.primary) drawStar(sx, p[0] + (rank >= 0 ? 13 : 0), p[1], 9);
    if (rank >= 0) drawBadge(sx, p[0] - (m.id === D.primary ? 9 : 0), p[1], 9, String(rank + 1));
  }
  sx.font = "12px DejaVu Sans, sans-serif"; sx.fillStyle = "#666"; sx.textAlign = "center"; sx.textBaseline = "middle";
  for (const [name, q] of [["base", D.base], ["apex", D.apex]]) {
    const p = toScreen(rotate(q[0], q[1], q[2])), dir = name === "base" ? -1 : 1;
    sx.fillText(name, p[0], Math.max(10, Math.min(SH - 10, p[1] + dir * 0.62 * SCALE * D.radius)));
  }
  sx.fillText("drag to rotate", SW / 2, SH - 10);
}

// ---- Colour bar.
function drawBar() {
  const c = document.getElementById("bar"), g = c.getContext("2d"), top = 90, bottom = c.height - 90, x = 10, w = 18;
  g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height);
  const grad = g.createLinearGradient(0, bottom, 0, top);
  D.stops.forEach((s, k) => grad.addColorStop(k / (D.stops.length - 1), css(s)));
  g.fillStyle = grad; g.fillRect(x, top, w, bottom - top);
  g.strokeStyle = "#4d4d4d"; g.lineWidth = 1; g.strokeRect(x + 0.5, top + 0.5, w, bottom - top);
  g.font = "11px DejaVu Sans, sans-serif"; g.fillStyle = "#1a1a1a"; g.textAlign = "left"; g.textBaseline = "middle";
  for (const [value, label] of D.ticks) {
    const y = bottom - (value - D.lower) / (D.upper - D.lower) * (bottom - top);
    g.beginPath(); g.moveTo(x + w, y); g.lineTo(x + w + 5, y); g.stroke(); g.fillText(label, x + w + 8, y);
  }
  g.save(); g.translate(c.width - 14, (top + bottom) / 2); g.rotate(-Math.PI / 2);
  g.font = "12px DejaVu Sans, sans-serif"; g.textAlign = "center"; g.fillText(D.label, 0, 0); g.restore();
}

function legend() {
  const parts = [];
  D.lma.forEach((id, k) => parts.push("<span><b style=\"color:" + BADGE + "\">(" + (k + 1) + ")</b> LMA " + (k + 1) +
    (k === 0 ? " (latest)" : "") + ": " + id + " " + D.names[id - 1] + "</span>"));
  if (D.primary !== null) parts.push("<span><b style=\"color:#b8860b\">&#9733;</b> primary target: " + D.primary + " " +
    D.names[D.primary - 1] + "</span>");
  if (D.scarred.length) parts.push("<span>&#9638; scar (cross-hatched; darkened on the surface): " + D.scarred.join(", ") + "</span>");
  if (D.strain.some(f => f.some(x => x === null))) parts.push("<span>&#9636; grey hatched: not measured</span>");
  document.getElementById("legend").innerHTML = parts.join(" ");
}

const slider = document.getElementById("slider"), label = document.getElementById("time");
function show(f) {
  frame = f; slider.value = String(f);
  label.textContent = "t = " + D.times[f].toFixed(0) + " ms   (frame " + (f + 1) + " / " + nF + ")";
  drawBullseye(f); drawSurface(f);
}
slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
let timer = null;
const playButton = document.getElementById("play");
const frameMs = Math.max(50, 2 * (nF > 1 ? (D.times[nF - 1] - D.times[0]) / (nF - 1) : 100));
function stop() { if (timer !== null) { clearInterval(timer); timer = null; playButton.textContent = "Play"; } }
playButton.addEventListener("click", () => {
  if (timer !== null) { stop(); return; }
  playButton.textContent = "Pause";
  timer = setInterval(() => show((frame + 1) % nF), frameMs);
});
let drag = null;
SF.addEventListener("pointerdown", e => {
  drag = [e.clientX, e.clientY];
  try { SF.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events have no capturable pointer */ }
});
SF.addEventListener("pointermove", e => {
  if (drag === null) return;
  yaw += (e.clientX - drag[0]) * 0.01;
  pitch = Math.max(-1.5, Math.min(1.5, pitch + (e.clientY - drag[1]) * 0.01));
  drag = [e.clientX, e.clientY]; drawSurface(frame);
});
SF.addEventListener("pointerup", () => { drag = null; });
SF.addEventListener("pointercancel", () => { drag = null; });
drawBar(); legend(); show(frame);
</script>
</body>
</html>
"""#
}
