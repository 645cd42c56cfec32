import Foundation

extension RealismField {
    /// The CMR scan as an operator and a clinical scanner make it, drawn per case (Phantoms/README.md, "Realism").
    static var cmrFields: [RealismField] { [] }
}
