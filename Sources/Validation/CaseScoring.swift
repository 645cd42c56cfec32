import CRTCore
import Foundation
import GuidancePipeline
import HeartPhantom
import ImageIO
import SegmentModel

/// One analysis scored against one case: a function of the case's `truth/` folder (truth.json, lge-scar.nii.gz,
/// cine-labels.nii.gz) and the analysis folder (analysis.json, labels/lge-scar.nii.gz), and nothing else. The
/// scenario runner scores every case through it, whichever pipeline made the analysis (the built-in one or an
/// external command), and `crtsim score` exposes it, so a score is the same however it was obtained.
public enum CaseScoring {
    /// Every per-case score of one analysis. A score whose inputs are missing is null (absent) and `missing`
    /// says why, keyed by what it scores (`registration`, `scar.dice`).
    public struct Scores: Codable, Sendable {
        public var score: AnalysisScore
        /// Registration and lead scores; nil when the case has no fluoroscopy or the analysis no `heartPose`.
        public var registration: RegistrationScore?
        /// Why a score is null: "registration" -> "missing key heartPose", "scar.dice" -> "missing file ...".
        public var missing: [String: String]
        /// The case has fluoroscopy and the analysis no pose: counted as a registration failure (`NotRegistered`).
        public var notRegistered: NotRegistered? = nil
    }

    /// The newest analysis.json `schemaVersion` this scorer reads (2: the optional target-uncertainty keys; 1 is
    /// read as it is); a newer file is refused.
    public static let supportedSchemaVersion = 2
    /// The newest truth.json `schemaVersion` this scorer reads (4: per-image X-ray truth, read as 3 is when absent; 3: the realistic-patient acquisition keys and
    /// transmurality as the fraction of the wall the core spans, read as 2 is; 2: `targetTies`, `latestTies`; 1 is
    /// read with them derived from its segments).
    public static let supportedTruthSchemaVersion = 4

    /// The analysis' scar mask, relative to the analysis folder (uint8 or float, non-zero = scar, on the LGE grid).
    public static let scarMaskFile = "labels/lge-scar.nii.gz"

    /// Scores the analysis in `analysisDirectory` against the case in `caseDirectory`.
    /// - Throws: `InputError` naming the file and key when truth.json or analysis.json is missing or malformed, or
    ///   when the scar mask is not on the case's LGE grid.
    public static func score(caseDirectory: String, analysisDirectory: String) throws -> Scores {
        let truthPath = caseDirectory + "/truth/truth.json"
        let truth = try readVersioned(GroundTruth.self, truthPath, version: \.schemaVersion, newest: supportedTruthSchemaVersion)
        let analysis = try readAnalysis(analysisDirectory)
        // The 36 segments mean the same regions only under the same ring convention.
        if let t = truth.findings.ringBoundaries, let a = analysis.findings.ringBoundaries,
           abs(t.basalMidFraction - a.basalMidFraction) > 1e-9 || abs(t.midApicalFraction - a.midApicalFraction) > 1e-9 {
            throw InputError("\(analysisDirectory)/analysis.json: ringBoundaries: basal/mid \(a.basalMidFraction), mid/apical \(a.midApicalFraction) "
                + "differ from the truth's \(t.basalMidFraction), \(t.midApicalFraction) (rule: the ring convention is shared; "
                + "set the scenario's ringBoundaries or the pipeline's)")
        }
        let truthScar = try NIfTI.read(caseDirectory + "/truth/lge-scar.nii.gz")
        var missing: [String: String] = [:]
        let maskPath = analysisDirectory + "/" + scarMaskFile
        var mask: [Float] = []
        if FileManager.default.fileExists(atPath: maskPath) {
            let found = try NIfTI.read(maskPath)
            // The first voxel and the last one along each axis must sit where the case's LGE voxels do.
            let corners = [[0, 0, 0]] + (0..<3).map { k in (0..<3).map { $0 == k ? truthScar.grid.size[k] - 1 : 0 } }
            let offset = corners.map { c in
                (found.grid.patient(Double(c[0]), Double(c[1]), Double(c[2])) - truthScar.grid.patient(Double(c[0]), Double(c[1]), Double(c[2]))).length
            }.max() ?? 0
            guard found.grid.size == truthScar.grid.size, found.frames == 1, offset <= SeriesGeometry.crossCheckPositionToleranceMm else {
                throw InputError("\(maskPath): \(found.grid.size.map(String.init).joined(separator: " x ")) voxels, not on the case's LGE grid "
                    + "(\(truthScar.grid.size.map(String.init).joined(separator: " x ")))")
            }
            mask = found.data
        } else {
            missing["scar.dice"] = "missing file \(scarMaskFile)"
        }
        var score = AnalysisScore.score(truth: truth, analysis: analysis, truthScarLabels: truthScar.data, analysisScarMask: mask)
        if mask.isEmpty { score.scarDice = nil }
        var registration: RegistrationScore? = nil
        var notRegistered: NotRegistered? = nil
        if truth.heartPose == nil || truth.views == nil {
            missing["registration"] = "the case has no fluoroscopy (truth.json has no heartPose)"
        } else if analysis.heartPose == nil {
            notRegistered = NotRegistered(truth: truth, analysis: analysis)
            missing["registration"] = "missing key heartPose in analysis.json: not registered (\(notRegistered!.reason)); counted as a registration failure"
        } else {
            registration = RegistrationScore.score(truth: truth, analysis: analysis,
                                                   pointsMm: try RegistrationScore.myocardiumPoints(caseDirectory: caseDirectory))
        }
        return Scores(score: score, registration: registration, missing: missing, notRegistered: notRegistered)
    }

    /// The fingerprint of what scoring reads from an analysis folder: FNV-1a 64-bit (hex) over analysis.json, a
    /// separator and the scar mask when present. Recorded with each case's scores, so that `crtsim merge` notices
    /// an analysis changed after it was scored (it re-scores it, or refuses when the case is gone).
    public static func analysisHash(_ analysisDirectory: String) throws -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func add(_ bytes: Data) { for b in bytes { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01b3 } }
        add(try InputFile.read(analysisDirectory + "/analysis.json", what: "analysis.json"))
        let mask = analysisDirectory + "/" + scarMaskFile
        if FileManager.default.fileExists(atPath: mask) {
            add(Data([0]))
            add(try InputFile.read(mask, what: "scar mask"))
        }
        return String(format: "fnv1a64:%016llx", h)
    }

    /// Reads and checks `analysis.json` of an analysis folder: every required key with its type, 36 segment
    /// records with ids 1-36 in order, segment ids (targets, lead) within 1-36, a 4 x 4 `heartPose`.
    /// - Throws: `InputError` naming the file, the key path and the rule broken (required, type, range).
    public static func readAnalysis(_ analysisDirectory: String) throws -> AnalysisResult {
        let path = analysisDirectory + "/analysis.json"
        let analysis = try readVersioned(AnalysisResult.self, path, version: \.schemaVersion, newest: supportedSchemaVersion)
        guard analysis.segments.count == 36, analysis.segments.enumerated().allSatisfy({ $0.element.id == $0.offset + 1 }) else {
            throw InputError("\(path): segments: expected 36 records with ids 1-36 in order (rule: 36 items), got \(analysis.segments.count)")
        }
        func segment(_ key: String, _ id: Int?) throws {
            if let id, Segment36(id) == nil { throw InputError("\(path): \(key): \(id) is not a segment id (rule: range 1-36)") }
        }
        try segment("primaryTarget", analysis.primaryTarget)
        for (k, id) in analysis.lmaTargets.enumerated() { try segment("lmaTargets[\(k)]", id) }
        try segment("lead.segment36", analysis.lead?.segment36)
        for key in ["edvMl", "esvMl"] {
            let v = key == "edvMl" ? analysis.edvMl : analysis.esvMl
            guard v.isFinite, v > 0 else { throw InputError("\(path): \(key): \(v) (rule: a finite volume > 0 mL)") }
        }
        for (key, pose) in [("heartPose", analysis.heartPose), ("fluoroscopy.registration.landmarkPose", analysis.fluoroscopy?.registration.landmarkPose)] {
            if let pose, !(pose.count == 4 && pose.allSatisfy({ $0.count == 4 && $0.allSatisfy(\.isFinite) })) {
                throw InputError("\(path): \(key): expected a 4 x 4 matrix of finite numbers (rule: 4 x 4)")
            }
        }
        return analysis
    }

    /// Reads a versioned JSON file (truth.json, analysis.json): decoding errors name the key and rule, and a
    /// `schemaVersion` newer than `supportedSchemaVersion` is refused.
    static func readVersioned<T: Decodable>(_ type: T.Type, _ path: String, version: KeyPath<T, Int>, newest: Int) throws -> T {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let value: T
        do { value = try FileOutput.jsonDecoder().decode(type, from: InputFile.read(path, what: name)) } catch let e as DecodingError {
            throw InputError("\(path): \(describe(e))")
        }
        guard value[keyPath: version] <= newest else {
            throw InputError("\(path): schemaVersion: \(value[keyPath: version]) is newer than this crtsim reads (\(newest); docs/schemas.md)")
        }
        return value
    }

    /// One phrase for a decoding error: the key path and the rule (required key, type, value).
    static func describe(_ error: DecodingError) -> String {
        let field = keyPath
        switch error {
        case .keyNotFound(let key, let context):
            let parent = field(context.codingPath)
            return (context.codingPath.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)") + ": missing (rule: required key)"
        case .typeMismatch(let type, let context):
            return "\(field(context.codingPath)): wrong type, expected \(type) (rule: type)"
        case .valueNotFound(let type, let context):
            return "\(field(context.codingPath)): null, expected \(type) (rule: required value)"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "\(field(context.codingPath)): \(context.debugDescription) (rule: allowed values)"
        @unknown default:
            return "\(error)"
        }
    }
}
