import Foundation

extension RealismField {
    /// LV shape and base drawn per patient (Phantoms/README.md, "Realism").
    static var anatomyFields: [RealismField] { [] }
}
