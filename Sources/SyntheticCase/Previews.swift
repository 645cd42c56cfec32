import CMRSimulation
import CRTCore
import Foundation
import HeartPhantom

/// PNG mosaics of cine (ED and ES) and LGE for a quick look.
enum Previews {
    static func write(images: CMRImages, truth: GroundTruth, pathFor: (String) throws -> String) throws {
        _ = (images, truth, pathFor)
    }
}
