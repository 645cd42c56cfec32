import CRTCore
import Foundation

/// Automatic detection of the four ring electrodes of a quadripolar LV lead on one lead image (-ln(I/I0)).
///
/// Method: a top-hat by subtraction of a wide Gaussian background (`backgroundSigmaPx`) leaves thin dense
/// structures; after light smoothing, pixels above `thresholdFraction` of the strongest response (and above
/// `minimumContrast`) form 8-connected components; the four components of largest integrated contrast are the
/// electrodes (platinum-iridium rings are far denser than the lead body, ribs or spine), located at their
/// contrast-weighted centroids and ordered along the lead. The distal end is the one beyond which no lead body
/// continues (lower mean contrast along the extension of the chain).
public struct ElectrodeDetection: Sendable {
    public struct Settings: Codable, Sendable, Equatable {
        public var backgroundSigmaPx = 6.0
        public var smoothingSigmaPx = 0.7
        public var thresholdFraction = 0.3
        /// Smallest top-hat contrast (line integral units) an electrode must reach.
        public var minimumContrast = 0.5
        /// Electrodes expected and the smallest component (pixels).
        public var electrodeCount = 4
        public var minimumAreaPx = 3
        /// Extension beyond an end electrode sampled for the lead body (pixels from the electrode centre).
        public var extensionRangePx: ClosedRange<Double> = 8...16
        public init() {}
    }

    public struct Blob: Sendable, Equatable {
        public var pixel: DetectorPixel
        public var areaPx: Int
        public var integratedContrast: Double
        public var peakContrast: Double
    }

    public struct Result: Sendable {
        /// Electrodes ordered along the lead, distal first (empty when fewer than the expected count were found).
        public var electrodes: [DetectorPixel]
        /// All components found, strongest first.
        public var blobs: [Blob]
        /// Lead-body evidence beyond the distal and the proximal end (mean top-hat contrast), for the ordering.
        public var bodyBeyondDistal: Double
        public var bodyBeyondProximal: Double
        public var status: String
    }

    public var settings: Settings
    public init(settings: Settings = Settings()) { self.settings = settings }

    /// Top-hat image: smoothed image minus its wide Gaussian background.
    public func topHat(_ image: DetectorImage) -> DetectorImage {
        let bg = Vesselness.smooth(image, sigma: settings.backgroundSigmaPx)
        let fg = Vesselness.smooth(image, sigma: settings.smoothingSigmaPx)
        return DetectorImage(columns: image.columns, rows: image.rows, pixels: zip(fg.pixels, bg.pixels).map { $0 - $1 })
    }

    @inline(never)
    public func detect(_ image: DetectorImage) -> Result {
        let th = topHat(image)
        let w = th.columns, h = th.rows
        let peak = Double(th.pixels.max() ?? 0)
        let threshold = Float(max(settings.thresholdFraction * peak, settings.minimumContrast))
        var label = [Int32](repeating: 0, count: w * h)
        var blobs: [Blob] = []
        var next: Int32 = 0
        for start in 0..<(w * h) where th.pixels[start] > threshold && label[start] == 0 {
            next += 1
            var stack = [start]
            label[start] = next
            var sum = 0.0, sc = 0.0, sr = 0.0, mx = 0.0, area = 0
            while let i = stack.popLast() {
                let v = Double(th.pixels[i] - threshold)
                let c = i % w, r = i / w
                sum += v; sc += v * Double(c); sr += v * Double(r); mx = max(mx, Double(th.pixels[i])); area += 1
                for dr in -1...1 { for dc in -1...1 where dr != 0 || dc != 0 {
                    let cc = c + dc, rr = r + dr
                    guard cc >= 0, cc < w, rr >= 0, rr < h else { continue }
                    let j = rr * w + cc
                    if label[j] == 0 && th.pixels[j] > threshold { label[j] = next; stack.append(j) }
                } }
            }
            guard area >= settings.minimumAreaPx, sum > 0 else { continue }
            blobs.append(Blob(pixel: DetectorPixel(column: sc / sum, row: sr / sum), areaPx: area, integratedContrast: sum, peakContrast: mx))
        }
        blobs.sort { $0.integratedContrast > $1.integratedContrast }
        let n = settings.electrodeCount
        guard blobs.count >= n else {
            return Result(electrodes: [], blobs: blobs, bodyBeyondDistal: 0, bodyBeyondProximal: 0,
                          status: "not found: \(blobs.count) electrode-like spot(s) above contrast \(String(format: "%.2f", Double(threshold))), \(n) expected")
        }
        let chosen = Array(blobs.prefix(n))
        // Order along the chain: start at an end (the blob farthest from the others' centroid), then nearest neighbour.
        let pts = chosen.map(\.pixel)
        let cc = pts.reduce(0.0) { $0 + $1.column } / Double(n), cr = pts.reduce(0.0) { $0 + $1.row } / Double(n)
        let centroid = DetectorPixel(column: cc, row: cr)
        var order = [pts.indices.max { pts[$0].distance(to: centroid) < pts[$1].distance(to: centroid) }!]
        while order.count < n {
            let last = pts[order.last!]
            order.append(pts.indices.filter { !order.contains($0) }.min { pts[$0].distance(to: last) < pts[$1].distance(to: last) }!)
        }
        var chain = order.map { pts[$0] }
        func bodyBeyond(_ end: DetectorPixel, _ neighbour: DetectorPixel) -> Double {
            let dx = end.column - neighbour.column, dy = end.row - neighbour.row
            let len = max((dx * dx + dy * dy).squareRoot(), 1e-9)
            var s = 0.0, k = 0
            var t = settings.extensionRangePx.lowerBound
            while t <= settings.extensionRangePx.upperBound {
                // Best response across a small lateral window (the lead may curve).
                var best = -Double.infinity
                for lat in stride(from: -3.0, through: 3.0, by: 1.0) {
                    let x = end.column + dx / len * t - dy / len * lat, y = end.row + dy / len * t + dx / len * lat
                    best = max(best, Double(th.sample(column: x, row: y)))
                }
                s += best; k += 1; t += 1
            }
            return s / Double(max(k, 1))
        }
        var beyondFirst = bodyBeyond(chain[0], chain[1]), beyondLast = bodyBeyond(chain[n - 1], chain[n - 2])
        if beyondFirst > beyondLast { chain.reverse(); swap(&beyondFirst, &beyondLast) }
        return Result(electrodes: chain, blobs: blobs, bodyBeyondDistal: beyondFirst, bodyBeyondProximal: beyondLast, status: "found")
    }
}
