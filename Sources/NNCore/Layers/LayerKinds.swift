// LayerKinds.swift: the table of layer kinds. A new kind is one file in this folder (its LayerSpec and
// its Layer) plus one row here and one row in docs/model-format.md; the model file, the network builder,
// shape inference and the gradient check all go through this table.

public enum LayerKinds {
    /// Every kind the toolkit knows, by model-file code.
    public static let all: [any LayerSpec.Type] = [
        AffineSpec.self,        // 1
        ActivationSpec.self,    // 2
        BatchNormSpec.self,     // 3
        DropoutSpec.self,       // 4
        Conv2DSpec.self,        // 5
        MaxPool2DSpec.self,     // 6
        AvgPool2DSpec.self,     // 7
        FlattenSpec.self,       // 8
    ]

    /// The kind with this model-file code, if any.
    public static func kind(code: UInt8) -> (any LayerSpec.Type)? { all.first { $0.code == code } }
}
