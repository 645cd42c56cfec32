/// A colour with straight (not premultiplied) alpha, each channel in 0...1.
public struct RGBA: Hashable, Codable, Sendable {
    public var red: Double
    public var green: Double
    public var blue: Double
    /// Opacity, 0 transparent ... 1 opaque.
    public var alpha: Double

    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }

    /// The colour from a 24-bit `0xRRGGBB` value.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
                  blue: Double(hex & 0xFF) / 255, alpha: alpha)
    }

    /// The same colour with another alpha.
    public func withAlpha(_ alpha: Double) -> RGBA { RGBA(red: red, green: green, blue: blue, alpha: alpha) }

    /// A grey level (0 black ... 1 white).
    public static func grey(_ level: Double, alpha: Double = 1) -> RGBA {
        RGBA(red: level, green: level, blue: level, alpha: alpha)
    }

    public static let white = RGBA.grey(1)
    public static let black = RGBA.grey(0)

    /// Okabe-Ito colour-blind-safe colours that stand out on grey images (black left out), used for labels
    /// that have no entry in an overlay palette. Reference: Okabe and Ito, "Color Universal Design" (2002).
    public static let overlayCycle: [RGBA] = [0xE69F00, 0x56B4E9, 0x009E73, 0xF0E442, 0x0072B2, 0xD55E00, 0xCC79A7]
        .map { RGBA(hex: $0) }

    /// Matplotlib's "tab10" categorical colours, used for line-plot series in order.
    public static let seriesCycle: [RGBA] = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
                                             0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF]
        .map { RGBA(hex: $0) }
}
