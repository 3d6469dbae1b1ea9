// Version.swift: the toolkit's version, printed by every tool's --version.
import NNFormats

public let toolVersion = "0.1.0"

/// "nn-toolkit 0.1.0 (model files: reads 1.x, writes 1.1-1.2)"
public let versionText = "nn-toolkit \(toolVersion) (\(ModelFormat.versionText))"
