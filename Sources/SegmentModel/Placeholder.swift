import CRTCore
