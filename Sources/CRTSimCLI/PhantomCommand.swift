import ArgumentParser
import CRTCore
import Foundation
import HeartPhantom
import SyntheticCase

/// `crtsim phantom`: generate one synthetic patient with its CMR images and ground truth.
struct PhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Generate a synthetic heart and its CMR cine and LGE images, with ground truth.",
        discussion: """
        Writes DIR/cmr/ (cine.nii.gz, lge.nii.gz, long-axis cine-2ch/3ch/4ch.nii.gz, acquisition.json), DIR/xray/ (venogram and lead image per \
        C-arm view with its DICOM geometry) and DIR/operator/ (landmark clicks): the pipeline's only input; DIR/truth/ \
        (truth.json and label volumes) and DIR/preview/ (PNG mosaics). Presets live in Phantoms/ \
        (see Phantoms/README.md for every field, unit and range).
        """)

    @Option(name: .long, help: "Preset name from Phantoms/ (e.g. lbbb-nonischemic). Default: advise-typical when no --phantom is given.")
    var preset: String?

    @Option(name: .long, help: "Phantom YAML file (fields, units and ranges: Phantoms/README.md).")
    var phantom: String?

    @Option(name: .long, parsing: .unconditional, help: "Random seed (integer >= 0); every random draw derives from it and a stable label.")
    var seed: Int = 1

    @Option(name: .long, help: "Output folder (must not exist, or be empty; a crtsim case is replaced with --force).")
    var out: String

    @Flag(name: .long, help: "Replace an existing crtsim case folder.")
    var force = false

    @Option(name: .long, parsing: .unconditional, help: "Override cine SNR (myocardium mean / noise SD, 2-1000).")
    var cineSnr: Double?

    @Option(name: .long, parsing: .unconditional, help: "Override LGE SNR (scar mean / noise SD, 2-1000).")
    var lgeSnr: Double?

    @Option(name: .long, parsing: .unconditional, help: "Override slice misregistration between breath-holds (SD per direction, mm, 0-10).")
    var misregistrationMm: Double?

    @Option(name: .long, parsing: .unconditional, help: "Memory limit for image generation (GiB, 0.1-64).")
    var memoryLimitGib: Double = 8

    @Flag(name: .long, help: "Skip the PNG previews.")
    var noPreviews = false

    @Flag(name: .long, help: "Skip the fluoroscopy simulation (no xray/, operator/ or X-ray truth).")
    var noXray = false

    @Flag(name: .long, help: "Do not write the X-ray attenuation volume truth/xray-mu.nii.gz (large scenario runs).")
    var noXrayVolume = false

    func run() throws {
        let (spec, source) = try resolveSpec()
        guard seed >= 0 else { throw InputError("--seed: \(seed) is out of range: expected an integer >= 0") }
        guard memoryLimitGib.isFinite, (0.1...64).contains(memoryLimitGib) else {
            throw InputError("--memory-limit-gib: expected a number from 0.1 to 64 GiB")
        }
        let need = spec.estimatedImageBytes
        if need > memoryLimitGib * 1_073_741_824 {
            throw InputError("\(source): cmr: the requested images need about \(String(format: "%.1f", need / 1_073_741_824)) GiB, more than --memory-limit-gib \(memoryLimitGib); reduce cmr.cine.slices, phases, fovMm / pixelMm or oversampling")
        }
        let start = Date()
        let summary = try CaseGenerator.generate(spec: spec, seed: UInt64(seed), out: out, replace: force, previews: !noPreviews,
                                                 xray: !noXray, xrayVolume: !noXrayVolume)
        let t = summary.truth
        print("crtsim phantom: \(spec.name), seed \(seed), \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        print(String(format: "  EDV %.1f mL, ESV %.1f mL, EF %.1f %%, scar burden %.1f %%, primary target %@",
                     t.edvMl, t.esvMl, 100 * t.ef, t.scarBurdenPercent, t.primaryTarget.map { String($0) } ?? "none"))
        print("  images:  \(summary.outputDirectory)/cmr/")
        if let lead = t.lead {
            print("  x-ray:   \(summary.outputDirectory)/xray/ (\((t.views ?? []).map(\.name).joined(separator: ", "))); lead in \(lead.branch ?? "?"), segment \(lead.segment36), \(lead.category36?.rawValue ?? "no target")")
        }
        print("  truth:   \(summary.outputDirectory)/truth/truth.json")
        if !noPreviews { print("  preview: \(summary.outputDirectory)/preview/") }
    }

    func resolveSpec() throws -> (PhantomSpec, String) {
        if preset != nil && phantom != nil { throw InputError("--preset and --phantom: give one of them, not both") }
        let file: String
        if let phantom { file = phantom } else { file = try PresetLibrary.path(of: preset ?? "advise-typical") }
        let text = try InputFile.readText(file, what: "phantom file")
        var spec = try PhantomSpec.load(yaml: text, file: file)
        if let v = cineSnr {
            guard v.isFinite, (2...1000).contains(v) else { throw InputError("--cine-snr: expected a number from 2 to 1000") }
            spec.cmr.cine.snr = v
        }
        if let v = lgeSnr {
            guard v.isFinite, (2...1000).contains(v) else { throw InputError("--lge-snr: expected a number from 2 to 1000") }
            spec.cmr.lge.snr = v
        }
        if let v = misregistrationMm {
            guard v.isFinite, (0...10).contains(v) else { throw InputError("--misregistration-mm: expected a number from 0 to 10 mm") }
            spec.cmr.sliceMisregistrationMm = v
        }
        return (spec, file)
    }
}

/// `crtsim presets`: list the phantom presets.
struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "presets", abstract: "List the phantom presets in Phantoms/.")
    func run() throws {
        let dir = try PresetLibrary.directory()
        for name in try PresetLibrary.names() {
            let file = "\(dir)/\(name).yaml"
            // A preset that does not load is listed with its error, not silently with an empty description.
            let summary: String
            do {
                let text = try InputFile.readText(file, what: "phantom file")
                summary = try PhantomSpec.load(yaml: text, file: file).description
            } catch {
                summary = "INVALID: \(error)"
            }
            print("\(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(summary)")
        }
    }
}

/// Finds `Phantoms/`: $CRTSIM_PHANTOMS, ./Phantoms, or the Phantoms folder of the package the executable was
/// built in (.build/<config>/crtsim -> ../../Phantoms).
enum PresetLibrary {
    static func directory() throws -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["CRTSIM_PHANTOMS"] { candidates.append(env) }
        candidates.append(fm.currentDirectoryPath + "/Phantoms")
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("Phantoms").path)
            dir = dir.deletingLastPathComponent()
        }
        if let found = candidates.first(where: { fm.fileExists(atPath: $0 + "/advise-typical.yaml") }) { return found }
        throw InputError("Phantoms/: preset folder not found (set CRTSIM_PHANTOMS or run from the crtsim folder)")
    }

    static func names() throws -> [String] {
        let dir = try directory()
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func path(of name: String) throws -> String {
        let all = try names()
        guard all.contains(name) else {
            throw InputError("--preset: unknown preset '\(name)' (allowed: \(all.joined(separator: ", ")))")
        }
        return try directory() + "/\(name).yaml"
    }
}
