import CRTCore
import Foundation

/// A 3D point of the heart model seen at a pixel of one view (an operator click, or a detected feature).
public struct PointCorrespondence: Sendable {
    public var name: String
    /// Model point (CMR patient LPS mm); for a sliding landmark its nominal place on `curveMm`.
    public var modelMm: Vec3
    /// Index of the view in the projections list.
    public var view: Int
    public var pixel: DetectorPixel
    /// A sliding landmark: the model knows only the curve it lies on (CMR patient LPS mm), not where on it (a vein
    /// end where the contrast fades, a branch point somewhere along the AV groove). Its residual is the pixel vector
    /// from the click to the nearest point of the projected curve; nil: a point landmark at `modelMm`.
    public var curveMm: [Vec3]?
    public init(name: String, modelMm: Vec3, view: Int, pixel: DetectorPixel, curveMm: [Vec3]? = nil) {
        self.name = name; self.modelMm = modelMm; self.view = view; self.pixel = pixel; self.curveMm = curveMm
    }
}

/// Rigid pose estimation of the heart model (CMR patient frame) in the C-arm world from 2D points in calibrated
/// views: `worldFromHeart` maps CMR patient LPS mm to C-arm world mm (analysis.json `heartPose`, DOMAIN.md section 7).
public enum PoseEstimation {
    /// Least-squares rigid transform mapping `source` onto `target` (Kabsch 1976 / Umeyama 1991 without scale):
    /// SVD-free form via the quaternion method (Horn 1987), which needs only a 4x4 symmetric eigenproblem.
    /// - Returns: nil with fewer than 3 pairs or collinear points.
    public static func kabsch(from source: [Vec3], to target: [Vec3]) -> Affine3D? {
        guard source.count == target.count, source.count >= 3 else { return nil }
        let n = Double(source.count)
        let cs = source.reduce(Vec3.zero, +) / n, ct = target.reduce(Vec3.zero, +) / n
        var s = [[Double]](repeating: [0, 0, 0], count: 3)
        for (a, b) in zip(source, target) {
            let p = (a - cs).array, q = (b - ct).array
            for i in 0..<3 { for j in 0..<3 { s[i][j] += p[i] * q[j] } }
        }
        let (sxx, sxy, sxz) = (s[0][0], s[0][1], s[0][2])
        let (syx, syy, syz) = (s[1][0], s[1][1], s[1][2])
        let (szx, szy, szz) = (s[2][0], s[2][1], s[2][2])
        let nMat: [[Double]] = [
            [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
            [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
            [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
            [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz]]
        let (values, vectors) = symmetricEigen(nMat)
        let k = values.indices.max { values[$0] < values[$1] }!
        let q = vectors.map { $0[k] }
        let (w, x, y, z) = (q[0], q[1], q[2], q[3])
        let r = Mat3(rows: Vec3(w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)),
                     Vec3(2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)),
                     Vec3(2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z))
        guard abs(r.determinant - 1) < 1e-6 else { return nil }
        return Affine3D(linear: r, translation: ct - r * cs)
    }

    /// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.
    /// - Returns: eigenvalues and the matrix whose columns are the eigenvectors.
    static func symmetricEigen(_ m: [[Double]]) -> ([Double], [[Double]]) {
        let n = m.count
        var a = m
        var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<n { off += a[i][j] * a[i][j] } }
            if off < 1e-22 { break }
            for p in 0..<n { for q in (p + 1)..<n where abs(a[p][q]) > 1e-300 {
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let akp = a[k][p], akq = a[k][q]
                    a[k][p] = c * akp - s * akq; a[k][q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = a[p][k], aqk = a[q][k]
                    a[p][k] = c * apk - s * aqk; a[q][k] = s * apk + c * aqk
                }
                for k in 0..<n {
                    let vkp = v[k][p], vkq = v[k][q]
                    v[k][p] = c * vkp - s * vkq; v[k][q] = s * vkp + c * vkq
                }
            } }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }

    /// Small rotation-vector update applied about a centre: x -> exp([w]) (x - c) + c + t.
    static func perturbation(_ d: [Double], centre c: Vec3) -> Affine3D {
        let w = Vec3(d[0], d[1], d[2])
        let angle = w.length
        let r = angle > 0 ? Mat3.rotation(axis: w, angleRadians: angle) : Mat3.identity
        return Affine3D(linear: r, translation: c - r * c + Vec3(d[3], d[4], d[5]))
    }

    /// Huber weight for a residual of length `r` (pixels): 1 inside `delta`, `delta / r` beyond.
    @inlinable static func huberWeight(_ r: Double, delta: Double) -> Double { r <= delta ? 1 : delta / r }

    /// A Gaussian prior on the orientation of the CMR patient frame in the C-arm world: the rotation from
    /// `expected` to the pose's has independent components (rotation vector, radians) of SD `sdRadians`. In the
    /// cost it weighs as a click residual of `pixelsPerSD` pixels per SD (`DualViewFusion.Settings`).
    public struct OrientationPrior: Sendable {
        public var expected: Mat3
        public var sdRadians: Double
        public var pixelsPerSD: Double
        public init(expected: Mat3 = .identity, sdRadians: Double, pixelsPerSD: Double) {
            self.expected = expected; self.sdRadians = sdRadians; self.pixelsPerSD = pixelsPerSD
        }
        /// The prior's residuals (pixel units) of a pose: pixelsPerSD x rotation vector / SD.
        func residuals(_ pose: Affine3D) -> [Double] {
            let w = PoseEstimation.rotationVector(pose.linear * expected.transposed)
            let k = pixelsPerSD / sdRadians
            return [k * w.x, k * w.y, k * w.z]
        }
    }

    /// The rotation vector (axis times angle, radians) of a rotation matrix (angle in [0, pi]).
    public static func rotationVector(_ r: Mat3) -> Vec3 {
        let trace = r.r0.x + r.r1.y + r.r2.z
        let angle = acos(max(-1, min(1, (trace - 1) / 2)))
        let v = Vec3(r.r2.y - r.r1.z, r.r0.z - r.r2.x, r.r1.x - r.r0.y)
        if angle < 1e-9 { return v * 0.5 }
        if angle > .pi - 1e-6 {
            // Near a half turn: the axis from the diagonal (sin is too small to divide by).
            let d = Vec3(max(0, (r.r0.x + 1) / 2).squareRoot(), max(0, (r.r1.y + 1) / 2).squareRoot(),
                         max(0, (r.r2.z + 1) / 2).squareRoot())
            return d.normalized * angle
        }
        return v * (angle / (2 * sin(angle)))
    }

    public struct Fit: Sendable {
        public var worldFromHeart: Affine3D
        /// Reprojection residual per correspondence (pixels), in input order.
        public var residualsPx: [Double]
        public var iterations: Int
        public var rmsPx: Double { (residualsPx.reduce(0) { $0 + $1 * $1 } / Double(max(residualsPx.count, 1))).squareRoot() }
    }

    /// Pixel residual vectors of a pose (2 per correspondence); a point behind the source gives a large residual.
    static func residuals(_ pose: Affine3D, _ points: [PointCorrespondence], _ projections: [ProjectionMatrix]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(2 * points.count)
        for c in points {
            if let curve = c.curveMm, curve.count >= 2 {
                let r = nearestOnProjectedCurve(curve, pose: pose, projection: projections[c.view], to: c.pixel)
                out.append(r.column); out.append(r.row)
                continue
            }
            if let q = projections[c.view].project(pose.apply(c.modelMm)) {
                out.append(q.column - c.pixel.column); out.append(q.row - c.pixel.row)
            } else { out.append(1e4); out.append(1e4) }
        }
        return out
    }

    /// Pixel vector from `pixel` to the nearest point of a model curve projected under `pose` (segments between
    /// consecutive projected points); a curve behind the source gives a large residual.
    static func nearestOnProjectedCurve(_ curve: [Vec3], pose: Affine3D, projection: ProjectionMatrix,
                                        to pixel: DetectorPixel) -> (column: Double, row: Double) {
        var best = (column: 1e4, row: 1e4), bestD = Double.infinity
        var previous: (column: Double, row: Double)? = nil
        for x in curve {
            guard let q = projection.project(pose.apply(x)) else { previous = nil; continue }
            let b = (column: q.column, row: q.row)
            let a = previous ?? b
            let dx = b.column - a.column, dy = b.row - a.row
            let len2 = dx * dx + dy * dy
            let t = len2 > 0 ? clamp(((pixel.column - a.column) * dx + (pixel.row - a.row) * dy) / len2, 0, 1) : 0
            let n = (column: a.column + t * dx - pixel.column, row: a.row + t * dy - pixel.row)
            let d = n.column * n.column + n.row * n.row
            if d < bestD { bestD = d; best = n }
            previous = b
        }
        return best
    }

    /// Levenberg-Marquardt on the reprojection error in all views with a Huber loss (iteratively re-weighted),
    /// 6 parameters (rotation vector about the current model centroid in the world, translation), Jacobian by
    /// central differences.
    /// - Parameters:
    ///   - initial: starting `worldFromHeart`.
    ///   - points: model points with their pixels.
    ///   - projections: world-to-pixel matrices, indexed by `PointCorrespondence.view`.
    ///   - huberDeltaPx: residual (pixels) beyond which the loss of a point of weight 1 grows linearly; a point of
    ///     weight w turns linear at huberDeltaPx / sqrt(w), so that the loss is Huber's on the residual in units of
    ///     the point's own SD (a weak, uncertain landmark far off still counts as far off).
    ///   - pointWeights: optional weight of each correspondence (e.g. from its landmark's prior SD); nil: all 1.
    @inline(never)
    public static func refine(initial: Affine3D, points: [PointCorrespondence], projections: [ProjectionMatrix],
                              huberDeltaPx: Double = 3, maxIterations: Int = 50, pointWeights: [Double]? = nil,
                              orientationPrior: OrientationPrior? = nil) -> Fit {
        let pw = pointWeights ?? [Double](repeating: 1, count: points.count)
        let deltas = pw.map { huberDeltaPx / max($0, 1e-6).squareRoot() }
        var pose = initial
        guard !points.isEmpty else { return Fit(worldFromHeart: pose, residualsPx: [], iterations: 0) }
        var lambda = 1e-3
        var iterations = 0
        // The prior's residuals (3, Gaussian) follow the clicks' pixel residuals in `r`.
        let m0 = 2 * points.count
        func allResiduals(_ pose: Affine3D) -> [Double] {
            residuals(pose, points, projections) + (orientationPrior?.residuals(pose) ?? [])
        }
        func cost(_ r: [Double]) -> Double {
            var s = 0.0
            for (i, e) in pixelErrors(Array(r[0..<m0])).enumerated() {
                let d = deltas[i]
                s += pw[i] * (e <= d ? 0.5 * e * e : d * (e - 0.5 * d))
            }
            for e in r[m0...] { s += 0.5 * e * e }
            return s
        }
        var r = allResiduals(pose)
        var current = cost(r)
        for it in 0..<maxIterations {
            iterations = it + 1
            let centre = points.reduce(Vec3.zero) { $0 + pose.apply($1.modelMm) } / Double(points.count)
            let weights: [Double] = pixelErrors(Array(r[0..<m0])).enumerated().map { pw[$0.offset] * huberWeight($0.element, delta: deltas[$0.offset]) }
                + [Double](repeating: 1, count: (r.count - m0 + 1) / 2)
            // Jacobian by central differences: steps of 1e-5 rad and 1e-3 mm.
            let m = r.count
            var jac = [[Double]](repeating: [Double](repeating: 0, count: 6), count: m)
            for k in 0..<6 {
                let h = k < 3 ? 1e-5 : 1e-3
                var dp = [Double](repeating: 0, count: 6); dp[k] = h
                var dm = dp; dm[k] = -h
                let rp = allResiduals(perturbation(dp, centre: centre).composed(after: pose))
                let rm = allResiduals(perturbation(dm, centre: centre).composed(after: pose))
                for i in 0..<m { jac[i][k] = (rp[i] - rm[i]) / (2 * h) }
            }
            var jtj = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
            var jtr = [Double](repeating: 0, count: 6)
            for i in 0..<m {
                let w = weights[i / 2]
                for a in 0..<6 {
                    jtr[a] += w * jac[i][a] * r[i]
                    for b in 0..<6 { jtj[a][b] += w * jac[i][a] * jac[i][b] }
                }
            }
            var improved = false
            for _ in 0..<10 {
                var a = jtj
                for d in 0..<6 { a[d][d] += lambda * max(jtj[d][d], 1e-9) }
                guard let step = solve(a, jtr.map { -$0 }) else { lambda *= 10; continue }
                let candidate = perturbation(step, centre: centre).composed(after: pose)
                let rc = allResiduals(candidate)
                let c = cost(rc)
                if c < current {
                    let gain = current - c
                    pose = candidate; r = rc; current = c
                    lambda = max(lambda / 3, 1e-9)
                    improved = true
                    if gain < 1e-10 * max(current, 1e-12) || step.map(abs).max()! < 1e-9 {
                        return Fit(worldFromHeart: pose, residualsPx: pixelErrors(Array(r[0..<m0])), iterations: iterations)
                    }
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        return Fit(worldFromHeart: pose, residualsPx: pixelErrors(Array(r[0..<m0])), iterations: iterations)
    }

    static func pixelErrors(_ r: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(r.count / 2)
        var i = 0
        while i + 1 < r.count {
            let a: Double = r[i], b: Double = r[i + 1]
            out.append((a * a + b * b).squareRoot())
            i += 2
        }
        return out
    }

    /// Solves a small dense linear system by Gaussian elimination with partial pivoting; nil when singular.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = b.count
        var m = a, x = b
        for col in 0..<n {
            let p = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            guard abs(m[p][col]) > 1e-300 else { return nil }
            m.swapAt(col, p); x.swapAt(col, p)
            for r in (col + 1)..<n {
                let f = m[r][col] / m[col][col]
                if f == 0 { continue }
                for c in col..<n { m[r][c] -= f * m[col][c] }
                x[r] -= f * x[col]
            }
        }
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = x[r]
            for c in (r + 1)..<n { s -= m[r][c] * x[c] }
            x[r] = s / m[r][r]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }

    /// The clicked landmarks that the model has, view by view (names sorted): model point and clicked pixel; a name
    /// in `slidingCurvesMm` slides along its curve (`PointCorrespondence.curveMm`).
    public static func correspondences(modelLandmarksMm: [String: Vec3], views: [FluoroView],
                                       slidingCurvesMm: [String: [Vec3]] = [:]) -> [PointCorrespondence] {
        var points: [PointCorrespondence] = []
        for (v, view) in views.enumerated() {
            for name in view.clicks.keys.sorted() {
                guard let m = modelLandmarksMm[name] else { continue }
                points.append(PointCorrespondence(name: name, modelMm: m, view: v, pixel: view.clicks[name]!, curveMm: slidingCurvesMm[name]))
            }
        }
        return points
    }

    /// Landmark registration as in the clinic: the clicked landmarks seen in at least two views are triangulated
    /// (DLT, `triangulate`), the model landmarks are aligned to them rigidly (Kabsch), and the pose is refined by
    /// Levenberg-Marquardt on the reprojection error of every click in every view with a Huber loss.
    /// - Parameters:
    ///   - modelLandmarksMm: landmark name to model point (CMR patient mm).
    ///   - views: the views with their clicks.
    ///   - huberDeltaPx: Huber threshold (pixels).
    ///   - landmarkWeights: optional weight per landmark name (`ModelLandmarks.landmarkWeights`), scaled so the
    ///     largest is 1; a missing name weighs 1; nil: all 1.
    ///   - slidingCurvesMm: landmarks known only up to a curve (`PointCorrespondence.curveMm`); their nominal
    ///     points enter the closed-form start only when fewer than 3 point landmarks are seen in two views.
    /// - Returns: the fit and the correspondences used; nil when fewer than 3 landmarks are clicked in two views and
    ///   there is no orientation prior, or none at all is.
    @inline(never)
    public static func landmarkRegistration(modelLandmarksMm: [String: Vec3], views: [FluoroView],
                                            huberDeltaPx: Double = 3,
                                            landmarkWeights: [String: Double]? = nil,
                                            slidingCurvesMm: [String: [Vec3]] = [:],
                                            orientationPrior: OrientationPrior? = nil) -> (fit: Fit, points: [PointCorrespondence])? {
        let points = correspondences(modelLandmarksMm: modelLandmarksMm, views: views, slidingCurvesMm: slidingCurvesMm)
        // Closed-form starts: the point landmarks seen in two views; with sliding landmarks also all of them (their
        // nominal points), since the point landmarks alone may be nearly collinear (the contrast start and the MCV
        // origin both lie at the crux). Each start is refined; the lower cost wins.
        // Subsets: point landmarks; with the sliding branch points ("Origin"); with the sliding ends; all.
        var subsets = [(src: [Vec3], dst: [Vec3])](repeating: ([], []), count: 4)
        for name in modelLandmarksMm.keys.sorted() {
            let obs = views.compactMap { view -> (ProjectionMatrix, column: Double, row: Double)? in
                view.clicks[name].map { (view.projection, $0.column, $0.row) }
            }
            guard obs.count >= 2, let p = triangulate(obs) else { continue }
            let sliding = slidingCurvesMm[name] != nil, origin = name.hasSuffix("Origin")
            for k in 0..<4 where !sliding || k == 3 || (k == 1 && origin) || (k == 2 && !origin) {
                subsets[k].src.append(modelLandmarksMm[name]!); subsets[k].dst.append(p)
            }
        }
        var starts: [Affine3D] = []
        for (k, set) in subsets.enumerated() where k == 0 || set.src.count > subsets[0].src.count {
            if k > 0 && (0..<k).contains(where: { subsets[$0].src.count == set.src.count && subsets[$0].src == set.src }) { continue }
            if let f = kabsch(from: set.src, to: set.dst) { starts.append(f) }
        }
        // With an orientation prior, also a start at its expected orientation, placed on the triangulated
        // landmarks' centroid: a near-collinear set leaves the rotation about its line to the prior, and with only one
        // or two landmarks seen in two views (a venogram that fills few veins) the prior is the only start.
        if let prior = orientationPrior, let all = subsets.max(by: { $0.src.count < $1.src.count }), !all.src.isEmpty {
            let n = Double(all.src.count)
            let src = all.src.reduce(Vec3.zero, +) / n, dst = all.dst.reduce(Vec3.zero, +) / n
            starts.append(Affine3D(linear: prior.expected, translation: dst - prior.expected * src))
        }
        guard !starts.isEmpty else { return nil }
        let projections = views.map(\.projection)
        var weights: [Double]? = nil
        if let lw = landmarkWeights, let top = lw.values.max(), top > 0 {
            weights = points.map { (lw[$0.name] ?? top) / top }
        }
        let fits = starts.map {
            refine(initial: $0, points: points, projections: projections, huberDeltaPx: huberDeltaPx, pointWeights: weights,
                   orientationPrior: orientationPrior)
        }
        let pw = weights ?? [Double](repeating: 1, count: points.count)
        func cost(_ f: Fit) -> Double {
            let prior = orientationPrior?.residuals(f.worldFromHeart).reduce(0) { $0 + 0.5 * $1 * $1 } ?? 0
            return prior + zip(f.residualsPx, pw).reduce(0) { s, x in
                let d = huberDeltaPx / max(x.1, 1e-6).squareRoot()
                return s + x.1 * (x.0 <= d ? 0.5 * x.0 * x.0 : d * (x.0 - 0.5 * d))
            }
        }
        let fit = fits.min { cost($0) < cost($1) }!
        return (fit, points)
    }
}
