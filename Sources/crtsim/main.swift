import CRTSimCLI
import Foundation

exit(CRTSim.run(arguments: Array(CommandLine.arguments.dropFirst())))
