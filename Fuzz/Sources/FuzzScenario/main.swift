import Foundation
import FuzzSupport
import Validation

/// Scenario reader: the input is written to `<scratch>/scenario.yaml` and read by `Scenario.load` with the
/// repository's presets (Phantoms/*.yaml). The preset files are also copied next to it, so that phantom paths
/// relative to the scenario file (`phantoms: [normal-conduction.yaml]`) resolve too.
let presetFolder = FuzzSupport.repositoryRoot + "/Phantoms"
let presets: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: presetFolder)) ?? []
    let yaml = names.filter { $0.hasSuffix(".yaml") }.sorted()
    precondition(!yaml.isEmpty, "no presets in \(presetFolder); set CRTSIM_ROOT to the repository root")
    for name in yaml {
        try? FileManager.default.copyItem(atPath: presetFolder + "/" + name, toPath: FuzzSupport.scratch + "/" + name)
    }
    return yaml.map { String($0.dropLast(".yaml".count)) }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let known = presets
    let path = FuzzSupport.write(data, size, name: "scenario.yaml")
    FuzzSupport.attempt { try Scenario.load(path, presets: known, presetFolder: presetFolder) }
    return 0
}
