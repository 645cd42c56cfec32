import Foundation

/// A continuous colour map: colours at evenly spaced stops over 0...1, linearly interpolated in sRGB between
/// neighbouring stops.
///
/// The built-in maps are sampled at 11 (or 9) evenly spaced points from their published definitions, so
/// `color(at:)` is exact at `k / (stops.count - 1)` and within a few 8-bit levels of the original elsewhere.
public struct ColorMap: Hashable, Codable, Sendable {
    /// Short name, e.g. "viridis".
    public var name: String
    /// Colours at 0, 1 / (n - 1), ..., 1 (at least 2).
    public var stops: [RGBA]

    /// A map from at least two stops (fewer: the single colour is repeated, none gives black).
    public init(name: String, stops: [RGBA]) {
        self.name = name
        switch stops.count {
        case 0: self.stops = [.black, .black]
        case 1: self.stops = [stops[0], stops[0]]
        default: self.stops = stops
        }
    }

    /// The colour at `t` (clamped to 0...1; NaN gives the first stop).
    public func color(at t: Double) -> RGBA {
        let u = t.isNaN ? 0 : min(max(t, 0), 1)
        let x = u * Double(stops.count - 1)
        let k = min(Int(x.rounded(.down)), stops.count - 2)
        let f = x - Double(k)
        let a = stops[k], b = stops[k + 1]
        return RGBA(red: a.red + (b.red - a.red) * f, green: a.green + (b.green - a.green) * f,
                    blue: a.blue + (b.blue - a.blue) * f, alpha: a.alpha + (b.alpha - a.alpha) * f)
    }

    /// The same map run backwards (1 ... 0).
    public var reversed: ColorMap { ColorMap(name: name + "_r", stops: stops.reversed()) }

    /// Viridis (perceptually uniform, colour-blind safe; dark purple low, yellow high): the default for
    /// activation times. Reference: van der Walt and Smith, matplotlib "viridis" (2015); stops as viridisLite
    /// `viridis(11)`.
    public static let viridis = ColorMap(name: "viridis", stops: [
        0x440154, 0x482576, 0x414487, 0x35608D, 0x2A788E, 0x21908C, 0x22A884, 0x43BF71, 0x7AD151, 0xBBDF27, 0xFDE725,
    ].map { RGBA(hex: $0) })

    /// Magma (perceptually uniform; black low, pale yellow high). Stops as viridisLite `magma(11)`.
    public static let magma = ColorMap(name: "magma", stops: [
        0x000004, 0x140E36, 0x3B0F70, 0x641A80, 0x8C2981, 0xB73779, 0xDE4968, 0xF7705C, 0xFE9F6D, 0xFECF92, 0xFCFDBF,
    ].map { RGBA(hex: $0) })

    /// Yellow-orange-red (sequential; pale yellow low, dark red high): the default for radial strain magnitude.
    /// Reference: Brewer, ColorBrewer "YlOrRd" 9-class (2002).
    public static let yellowOrangeRed = ColorMap(name: "YlOrRd", stops: [
        0xFFFFCC, 0xFFEDA0, 0xFED976, 0xFEB24C, 0xFD8D3C, 0xFC4E2A, 0xE31A1C, 0xBD0026, 0x800026,
    ].map { RGBA(hex: $0) })

    /// Blue-white-red (diverging, white at the middle of the range; blue low, red high), for signed quantities
    /// such as strain that can shorten or thicken. Reference: ColorBrewer "RdBu" 11-class, reversed.
    public static let blueWhiteRed = ColorMap(name: "RdBu_r", stops: [
        0x053061, 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B, 0x67001F,
    ].map { RGBA(hex: $0) })
}

/// A colour map over a value range, with the label of the quantity and unit shown beside its colour bar.
public struct ColorScale: Hashable, Codable, Sendable {
    public var map: ColorMap
    /// Value shown with the first stop (quantity units). Values below are clamped.
    public var lower: Double
    /// Value shown with the last stop (quantity units; > `lower`). Values above are clamped.
    public var upper: Double
    /// Colour-bar label with the unit, e.g. "activation time (ms)" or "radial strain (%)".
    public var label: String

    public init(map: ColorMap, lower: Double, upper: Double, label: String) {
        self.map = map; self.lower = lower; self.upper = upper; self.label = label
    }

    /// The colour of `value` (quantity units): `map.color(at: (value - lower) / (upper - lower))`, clamped.
    public func color(for value: Double) -> RGBA { map.color(at: (value - lower) / (upper - lower)) }

    /// Throws unless both bounds are finite and `upper > lower`.
    func validate(_ what: String) throws {
        guard lower.isFinite, upper.isFinite, upper > lower else {
            throw FigureError.invalidInput("\(what) colour scale \(lower)...\(upper) must be finite and non-empty")
        }
    }

    /// Colour-bar ticks: nice values (`AxisTicks`) inside `lower...upper`.
    func barTicks(targetCount: Int = 6) -> AxisTicks {
        var t = AxisTicks(dataMin: lower, dataMax: upper, targetCount: targetCount)
        let eps = t.step * 1e-9
        t.values = t.values.filter { $0 >= lower - eps && $0 <= upper + eps }
        return t
    }

    /// A scale over the finite values given, rounded out to nice ticks (`AxisTicks`); 0...1 when there are none.
    public static func fitting(_ values: [Double?], map: ColorMap, label: String) -> ColorScale {
        let finite = values.compactMap { $0 }.filter(\.isFinite)
        let ticks = AxisTicks(dataMin: finite.min() ?? 0, dataMax: finite.max() ?? 1, targetCount: 5)
        return ColorScale(map: map, lower: ticks.lower, upper: ticks.upper, label: label)
    }
}
