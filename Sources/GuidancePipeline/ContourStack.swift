import CRTCore
import Foundation

/// The cine LV contours of one phase as a function of position in 3D: at a point, the endo- and epicardial radii
/// and the centre are interpolated linearly between the two cine slices that bracket it along the stack normal
/// (within one slice spacing of each), or taken from the one slice within half a spacing at the ends of the stack.
/// Used to carry the myocardium onto an LGE slice that a breath-hold moved through-plane as well as in-plane.
struct ContourStack {
    let geometry: LVGeometry
    let frame: Int

    /// The contours at a point: the in-plane vector from the interpolated centre (mm, the slices' column and row
    /// axes), the radii there, the ray coordinate (0..<rays) and the nearer slice (for its segment ids).
    struct Local {
        var fromCentre: SIMD2<Double>
        var rho: Double
        var endoMm: Double, epiMm: Double
        var rayCoordinate: Double
        var nearestSlice: Int
    }

    /// Whether a slice's contours can be used at this phase (tracked, in the LV, not leaked through the valve plane).
    func usable(_ s: Int) -> Bool {
        geometry.rings[s] != nil && geometry.walls[s].valid[frame] && !geometry.walls[s].contourLeaked(frame: frame)
    }

    func at(_ p: Vec3) -> Local? {
        let g = geometry
        // The nearest slice at or above the point and the nearest below it, along the stack normal.
        var above: (s: Int, offset: Double)? = nil, below: (s: Int, offset: Double)? = nil
        for s in g.walls.indices {
            let o = g.walls[s].plane.inPlane(p).offsetMm
            if o >= 0 { if above == nil || o < above!.offset { above = (s, o) } }
            else if below == nil || -o < -below!.offset { below = (s, o) }
        }
        var parts: [(s: Int, weight: Double)] = []
        if let a = above, let b = below, a.offset - b.offset <= g.spacingMm * 1.01, usable(a.s), usable(b.s) {
            let span = a.offset - b.offset
            parts = [(a.s, -b.offset / span), (b.s, a.offset / span)]
        } else {
            let near = [above, below].compactMap { $0 }.filter { abs($0.offset) <= g.spacingMm / 2 && usable($0.s) }
            guard let n = near.min(by: { abs($0.offset) < abs($1.offset) }) else { return nil }
            parts = [(n.s, 1)]
        }
        var q = SIMD2<Double>.zero
        for (s, w) in parts {
            let wall = g.walls[s]
            q += w * (wall.plane.inPlane(p).position - wall.centres[frame])
        }
        let rays = g.walls[parts[0].s].rayCount
        var x = atan2(q.y, q.x) / (2 * Double.pi) * Double(rays)
        if x < 0 { x += Double(rays) }
        let r0 = Int(x) % rays, r1 = (r0 + 1) % rays, f = x - Double(Int(x))
        var en = 0.0, ep = 0.0
        for (s, w) in parts {
            let wall = g.walls[s]
            en += w * (wall.endo[frame][r0] * (1 - f) + wall.endo[frame][r1] * f)
            ep += w * (wall.epi[frame][r0] * (1 - f) + wall.epi[frame][r1] * f)
        }
        let nearest = parts.max { $0.weight < $1.weight }!.s
        return Local(fromCentre: q, rho: (q * q).sum().squareRoot(), endoMm: en, epiMm: ep, rayCoordinate: x, nearestSlice: nearest)
    }
}
