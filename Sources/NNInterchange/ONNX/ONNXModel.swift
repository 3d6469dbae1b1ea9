import NNCore
import NNFormats
// ONNXModel.swift: the subset of onnx.proto (onnx/onnx, onnx/onnx.proto) that nn-model reads and writes,
// over the hand-written wire codec in ProtobufWire.swift. Field numbers are onnx.proto's; fields outside
// the subset are skipped when read (protobuf's rule for unknown fields) and never written.
//
//   ModelProto          1 ir_version, 2 producer_name, 3 producer_version, 4 domain, 5 model_version,
//                       6 doc_string, 7 graph, 8 opset_import, 14 metadata_props
//   OperatorSetIdProto  1 domain, 2 version
//   StringStringEntry   1 key, 2 value
//   GraphProto          1 node, 2 name, 5 initializer, 10 doc_string, 11 input, 12 output, 13 value_info
//   NodeProto           1 input, 2 output, 3 name, 4 op_type, 5 attribute, 6 doc_string, 7 domain
//   AttributeProto      1 name, 2 f, 3 i, 4 s, 5 t, 7 floats, 8 ints, 13 doc_string, 20 type
//   TensorProto         1 dims, 2 data_type, 3 segment, 4 float_data, 7 int64_data, 8 name, 9 raw_data,
//                       10 double_data, 12 doc_string, 13 external_data, 14 data_location
//   ValueInfoProto      1 name, 2 type, 3 doc_string
//   TypeProto           1 tensor_type (TypeProto.Tensor: 1 elem_type, 2 shape)
//   TensorShapeProto    1 dim (Dimension: 1 dim_value, 2 dim_param)

/// Limits and codes of the ONNX reader.
public enum ONNXFormat {
    /// Largest tensor the reader accepts, in elements (the model file's ceiling: 2^28, 1 GiB of float32).
    public static let maxTensorElements = SizeLimits.maxTensorElements
    /// TensorProto.DataType codes this reader holds data of.
    public static let float: Int32 = 1, int64: Int32 = 7, double: Int32 = 11
    /// Names of every TensorProto.DataType, for messages.
    static let dataTypeNames: [Int32: String] = [
        0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING",
        9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128",
        16: "BFLOAT16", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ", 21: "UINT4",
        22: "INT4", 23: "FLOAT4E2M1", 24: "FLOAT8E8M0", 25: "UINT2", 26: "INT2", 27: "FLOAT6E2M3", 28: "FLOAT6E3M2",
    ]
    /// The product of `dims`, nil when it overflows or any is negative.
    static func elementCount(_ dims: [Int]) -> Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (m, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = m
        }
        return n
    }
    static func dataTypeName(_ t: Int32) -> String { dataTypeNames[t] ?? "unknown" }
    /// "FLOAT16 (10)", "an unknown code (999)".
    static func describeDataType(_ t: Int32) -> String { dataTypeNames[t].map { "\($0) (\(t))" } ?? "an unknown code (\(t))" }
}

/// An ONNX file's content that is not a protobuf error: a tensor nn-model cannot hold, a missing graph.
struct ONNXError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

// MARK: - ModelProto

public struct ONNXModelProto: Equatable, Sendable {
    public var irVersion: Int64 = 0
    public var opsetImport: [ONNXOperatorSetID] = []
    public var producerName = ""
    public var producerVersion = ""
    public var domain = ""
    public var modelVersion: Int64 = 0
    public var docString = ""
    public var graph = ONNXGraph()
    public var metadataProps: [ONNXStringEntry] = []
    public init() {}

    /// The opset version of the default (ai.onnx) domain, if imported.
    public var defaultOpset: Int64? { opsetImport.first { $0.domain == "" || $0.domain == "ai.onnx" }?.version }

    public func metadataValue(_ key: String) -> String? { metadataProps.first { $0.key == key }?.value }

    init(_ r: inout ProtoReader) throws {
        var sawGraph = false
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: try r.expect(wire, .varint, field: field); irVersion = try r.int64()
            case 2: try r.expect(wire, .lengthDelimited, field: field); producerName = try r.string()
            case 3: try r.expect(wire, .lengthDelimited, field: field); producerVersion = try r.string()
            case 4: try r.expect(wire, .lengthDelimited, field: field); domain = try r.string()
            case 5: try r.expect(wire, .varint, field: field); modelVersion = try r.int64()
            case 6: try r.expect(wire, .lengthDelimited, field: field); docString = try r.string()
            case 7:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = try r.message()
                graph = try ONNXGraph(&m)
                sawGraph = true
            case 8:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = try r.message()
                opsetImport.append(try ONNXOperatorSetID(&m))
            case 14:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = try r.message()
                metadataProps.append(try ONNXStringEntry(&m))
            default: try r.skip(wire)
            }
        }
        if !sawGraph { throw ONNXError("no graph (ModelProto.graph is missing): not an ONNX model") }
        if irVersion <= 0 { throw ONNXError("no IR version (ModelProto.ir_version is \(irVersion)): not an ONNX model") }
    }

    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        w.int64(1, irVersion)
        if !producerName.isEmpty { w.string(2, producerName) }
        if !producerVersion.isEmpty { w.string(3, producerVersion) }
        if !domain.isEmpty { w.string(4, domain) }
        if modelVersion != 0 { w.int64(5, modelVersion) }
        if !docString.isEmpty { w.string(6, docString) }
        w.message(7, graph.encode())
        for o in opsetImport { w.message(8, o.encode()) }
        for e in metadataProps { w.message(14, e.encode()) }
        return w
    }
}

public struct ONNXOperatorSetID: Equatable, Sendable {
    public var domain = ""
    public var version: Int64 = 0
    public init(domain: String = "", version: Int64) {
        self.domain = domain
        self.version = version
    }

    init(_ r: inout ProtoReader) throws {
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: try r.expect(wire, .lengthDelimited, field: field); domain = try r.string()
            case 2: try r.expect(wire, .varint, field: field); version = try r.int64()
            default: try r.skip(wire)
            }
        }
    }

    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        if !domain.isEmpty { w.string(1, domain) }
        w.int64(2, version)
        return w
    }
}

public struct ONNXStringEntry: Equatable, Sendable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    init(_ r: inout ProtoReader) throws {
        key = ""
        value = ""
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: try r.expect(wire, .lengthDelimited, field: field); key = try r.string()
            case 2: try r.expect(wire, .lengthDelimited, field: field); value = try r.string()
            default: try r.skip(wire)
            }
        }
    }

    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        w.string(1, key)
        w.string(2, value)
        return w
    }
}

// MARK: - GraphProto, NodeProto, AttributeProto

public struct ONNXGraph: Equatable, Sendable {
    public var nodes: [ONNXNode] = []
    public var name = ""
    public var initializers: [ONNXTensor] = []
    public var docString = ""
    public var inputs: [ONNXValueInfo] = []
    public var outputs: [ONNXValueInfo] = []
    public var valueInfo: [ONNXValueInfo] = []
    public init() {}

    init(_ r: inout ProtoReader) throws {
        while let (field, wire) = try r.nextField() {
            if [1, 5, 11, 12, 13].contains(field) {
                try r.expect(wire, .lengthDelimited, field: field)
                var m = try r.message()
                switch field {
                case 1: nodes.append(try ONNXNode(&m))
                case 5: initializers.append(try ONNXTensor(&m))
                case 11: inputs.append(try ONNXValueInfo(&m))
                case 12: outputs.append(try ONNXValueInfo(&m))
                default: valueInfo.append(try ONNXValueInfo(&m))
                }
                continue
            }
            switch field {
            case 2: try r.expect(wire, .lengthDelimited, field: field); name = try r.string()
            case 10: try r.expect(wire, .lengthDelimited, field: field); docString = try r.string()
            default: try r.skip(wire)
            }
        }
    }

    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        for n in nodes { w.message(1, n.encode()) }
        w.string(2, name)
        for t in initializers { w.message(5, t.encode()) }
        if !docString.isEmpty { w.string(10, docString) }
        for v in inputs { w.message(11, v.encode()) }
        for v in outputs { w.message(12, v.encode()) }
        for v in valueInfo { w.message(13, v.encode()) }
        return w
    }
}

public struct ONNXNode: Equatable, Sendable {
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var name = ""
    public var opType = ""
    public var domain = ""
    public var attributes: [ONNXAttribute] = []
    public var docString = ""

    public init(_ opType: String, name: String, inputs: [String], outputs: [String], attributes: [ONNXAttribute] = []) {
        self.opType = opType
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    public func attribute(_ name: String) -> ONNXAttribute? { attributes.first { $0.name == name } }

    init(_ r: inout ProtoReader) throws {
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: try r.expect(wire, .lengthDelimited, field: field); inputs.append(try r.string())
            case 2: try r.expect(wire, .lengthDelimited, field: field); outputs.append(try r.string())
            case 3: try r.expect(wire, .lengthDelimited, field: field); name = try r.string()
            case 4: try r.expect(wire, .lengthDelimited, field: field); opType = try r.string()
            case 5:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = try r.message()
                attributes.append(try ONNXAttribute(&m))
            case 6: try r.expect(wire, .lengthDelimited, field: field); docString = try r.string()
            case 7: try r.expect(wire, .lengthDelimited, field: field); domain = try r.string()
            default: try r.skip(wire)
            }
        }
    }

    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        for i in inputs { w.string(1, i) }
        for o in outputs { w.string(2, o) }
        if !name.isEmpty { w.string(3, name) }
        w.string(4, opType)
        for a in attributes { w.message(5, a.encode()) }
        if !docString.isEmpty { w.string(6, docString) }
        if !domain.isEmpty { w.string(7, domain) }
        return w
    }
}

public struct ONNXAttribute: Equatable, Sendable {
    /// AttributeProto.AttributeType codes of the kinds this subset holds.
    public enum Kind: Int64, Sendable {
        case float = 1, int = 2, string = 3, tensor = 4, floats = 6, ints = 7
    }
    public var name = ""
    /// AttributeProto.type as stored (other kinds, GRAPH for example, keep their code and no value).
    public var type: Int64 = 0
    public var f: Float = 0
    public var i: Int64 = 0
    public var s: [UInt8] = []
    public var t: ONNXTensor? = nil
    public var floats: [Float] = []
    public var ints: [Int64] = []

    public var kind: Kind? { Kind(rawValue: type) }

    public static func float(_ name: String, _ v: Float) -> ONNXAttribute {
        var a = ONNXAttribute(name: name, type: Kind.float.rawValue)
        a.f = v
        return a
    }
    public static func int(_ name: String, _ v: Int64) -> ONNXAttribute {
        var a = ONNXAttribute(name: name, type: Kind.int.rawValue)
        a.i = v
        return a
    }
    public static func string(_ name: String, _ v: String) -> ONNXAttribute {
        var a = ONNXAttribute(name: name, type: Kind.string.rawValue)
        a.s = Array(v.utf8)
        return a
    }
    public static func ints(_ name: String, _ v: [Int64]) -> ONNXAttribute {
        var a = ONNXAttribute(name: name, type: Kind.ints.rawValue)
        a.ints = v
        return a
    }

    init(name: String, type: Int64) {
        self.name = name
        self.type = type
    }

    init(_ r: inout ProtoReader) throws {
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: try r.expect(wire, .lengthDelimited, field: field); name = try r.string()
            case 2: f = try r.float(wire)
            case 3: try r.expect(wire, .varint, field: field); i = try r.int64()
            case 4: try r.expect(wire, .lengthDelimited, field: field); s = try r.data()
            case 5:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = try r.message()
                t = try ONNXTensor(&m)
            case 7: try r.appendFloats(wire, to: &floats)
            case 8: try r.appendVarints(wire, to: &ints)
            case 20: try r.expect(wire, .varint, field: field); type = try r.int64()
            default: try r.skip(wire)
            }
        }
    }

    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        w.string(1, name)
        switch kind {
        case .float: w.float(2, f)
        case .int: w.int64(3, i)
        case .string: w.data(4, s)
        case .tensor: if let t { w.message(5, t.encode()) }
        case .floats: w.packedFloats(7, floats)
        case .ints: for v in ints { w.int64(8, v) }
        case nil: break
        }
        w.int64(20, type)
        return w
    }
}

// MARK: - TensorProto

/// A tensor's values in the type they are stored in.
public enum ONNXTensorData: Equatable, Sendable {
    case float([Float])
    case double([Double])
    case int64([Int64])

    public var count: Int {
        switch self {
        case .float(let v): return v.count
        case .double(let v): return v.count
        case .int64(let v): return v.count
        }
    }

    /// Every value as a Double (float and double exactly; int64 as the nearest double).
    public var doubles: [Double] {
        switch self {
        case .float(let v): return v.map(Double.init)
        case .double(let v): return v
        case .int64(let v): return v.map(Double.init)
        }
    }
}

public struct ONNXTensor: Equatable, Sendable {
    public var name: String
    public var dims: [Int]
    public var data: ONNXTensorData
    public var docString = ""

    public init(name: String, dims: [Int], data: ONNXTensorData) {
        self.name = name
        self.dims = dims
        self.data = data
    }

    public var dataType: Int32 {
        switch data {
        case .float: return ONNXFormat.float
        case .double: return ONNXFormat.double
        case .int64: return ONNXFormat.int64
        }
    }

    /// Parses and validates: known data type, no external data or segments, dims whose product (checked
    /// for overflow and against the ceiling) is exactly the number of values present.
    init(_ r: inout ProtoReader) throws {
        var dims64: [Int64] = []
        var dataType: Int32 = 0
        var raw: Range<Int>? = nil
        var floats: [Float] = [], doubles: [Double] = [], int64s: [Int64] = []
        var typedFields: UInt32 = 0   // bit k: typed data field k is present
        var segmented = false, external = false
        var externalLocation = ""
        var name = ""
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: try r.appendVarints(wire, to: &dims64)
            case 2: try r.expect(wire, .varint, field: field); dataType = try r.int32()
            case 3: try r.skip(wire); segmented = true
            case 4: try r.appendFloats(wire, to: &floats); typedFields |= 1 << field
            case 7: try r.appendVarints(wire, to: &int64s); typedFields |= 1 << field
            case 8: try r.expect(wire, .lengthDelimited, field: field); name = try r.string()
            case 9: try r.expect(wire, .lengthDelimited, field: field); raw = try r.lengthDelimited()
            case 10: try r.appendDoubles(wire, to: &doubles); typedFields |= 1 << field
            case 12: try r.expect(wire, .lengthDelimited, field: field); docString = try r.string()
            case 13:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = try r.message()
                let e = try ONNXStringEntry(&m)
                if e.key == "location" { externalLocation = e.value }
                external = true
            case 14: try r.expect(wire, .varint, field: field); if try r.int64() == 1 { external = true }
            case 5, 6, 11:
                // int32_data, string_data, uint64_data: data of types this reader refuses below
                try r.skip(wire)
                typedFields |= 1 << field
            default: try r.skip(wire)
            }
        }
        self.name = name
        let label = "tensor '\(name)'"
        if external {
            throw ONNXError("\(label) keeps its data in an external file\(externalLocation.isEmpty ? "" : " ('\(externalLocation)')"), which nn-model does not read; save the model with its data inside (onnx.save_model(..., save_as_external_data=False))")
        }
        if segmented { throw ONNXError("\(label) is a segment of a larger tensor (TensorProto.segment), which nn-model does not read") }
        let elementSize: Int
        switch dataType {
        case ONNXFormat.float: elementSize = 4
        case ONNXFormat.double: elementSize = 8
        case ONNXFormat.int64: elementSize = 8
        default:
            throw ONNXError("\(label) has data type \(ONNXFormat.describeDataType(dataType)); nn-model reads FLOAT, DOUBLE and INT64 tensors")
        }
        var count = 1
        for d in dims64 {
            guard d >= 0 else { throw ONNXError("\(label) has a negative dimension \(d)") }
            let (m, overflow) = count.multipliedReportingOverflow(by: Int(d))
            if overflow || m > ONNXFormat.maxTensorElements {
                throw ONNXError("\(label) declares dims \(dims64.map(String.init).joined(separator: "x")), more than the \(ONNXFormat.maxTensorElements) elements nn-model accepts")
            }
            count = m
        }
        self.dims = dims64.map { Int($0) }
        let shape = dims64.isEmpty ? "a scalar" : "dims " + dims64.map(String.init).joined(separator: "x")
        if let raw {
            if typedFields != 0 { throw ONNXError("\(label) holds both raw_data and typed data fields") }
            guard raw.count == count * elementSize else {
                throw ONNXError("\(label) declares \(shape) (\(count) elements, \(count * elementSize) bytes of \(ONNXFormat.dataTypeName(dataType))) but its raw_data holds \(raw.count) bytes")
            }
            data = ONNXTensor.values(r.bytes, raw, dataType: dataType, count: count)
            return
        }
        let present: Int
        switch dataType {
        case ONNXFormat.float: present = floats.count; data = .float(floats)
        case ONNXFormat.double: present = doubles.count; data = .double(doubles)
        default: present = int64s.count; data = .int64(int64s)
        }
        let expectedField = dataType == ONNXFormat.float ? 4 : dataType == ONNXFormat.double ? 10 : 7
        if typedFields & ~(1 << expectedField) != 0 {
            throw ONNXError("\(label) of type \(ONNXFormat.dataTypeName(dataType)) holds data in fields of another type")
        }
        guard present == count else {
            throw ONNXError("\(label) declares \(shape) (\(count) elements) but holds \(present) values")
        }
    }

    /// Little-endian raw_data as values (the caller checked the size).
    @inline(never)
    private static func values(_ bytes: [UInt8], _ r: Range<Int>, dataType: Int32, count: Int) -> ONNXTensorData {
        func u64(_ o: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[o + k]) << (8 * UInt64(k)) }
            return v
        }
        switch dataType {
        case ONNXFormat.float:
            return .float(ByteReader(bytes, offset: r.lowerBound).readFloats(count))
        case ONNXFormat.double:
            return .double((0..<count).map { Double(bitPattern: u64(r.lowerBound + 8 * $0)) })
        default:
            return .int64((0..<count).map { Int64(bitPattern: u64(r.lowerBound + 8 * $0)) })
        }
    }

    /// Float tensors are written as little-endian raw_data (bit-exact, and what onnx.numpy_helper writes);
    /// the others in their typed field.
    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        for d in dims { w.int64(1, Int64(d)) }
        w.int64(2, Int64(dataType))
        w.string(8, name)
        switch data {
        case .float(let v):
            var raw = [UInt8]()
            raw.appendLE(floats: v)
            w.data(9, raw)
        case .double(let v):
            w.tag(10, .lengthDelimited)
            w.varint(UInt64(8 * v.count))
            for x in v { w.fixed64(x.bitPattern) }
        case .int64(let v):
            w.packedVarints(7, v)
        }
        if !docString.isEmpty { w.string(12, docString) }
        return w
    }
}

extension ByteReader {
    /// n little-endian binary32 values from the current offset (the caller has checked they are there).
    func readFloats(_ n: Int) -> [Float] {
        var copy = self
        return copy.floats(n)
    }
}

// MARK: - ValueInfoProto

public struct ONNXValueInfo: Equatable, Sendable {
    /// One dimension of a tensor type: a number, a symbolic name, or nothing.
    public enum Dimension: Equatable, Sendable {
        case value(Int64)
        case param(String)
        case unknown
    }
    public var name: String
    /// TypeProto.Tensor.elem_type; nil when the value is not a tensor (a sequence, a map...).
    public var elementType: Int32?
    /// The shape, nil when not given.
    public var shape: [Dimension]?
    public var docString = ""

    public init(name: String, elementType: Int32?, shape: [Dimension]?) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    init(_ r: inout ProtoReader) throws {
        name = ""
        elementType = nil
        shape = nil
        while let (field, wire) = try r.nextField() {
            switch field {
            case 1: try r.expect(wire, .lengthDelimited, field: field); name = try r.string()
            case 2:
                try r.expect(wire, .lengthDelimited, field: field)
                var type = try r.message()
                while let (tf, tw) = try type.nextField() {
                    guard tf == 1 else { try type.skip(tw); continue }   // not tensor_type
                    try type.expect(tw, .lengthDelimited, field: tf)
                    var tensor = try type.message()
                    elementType = 0
                    while let (f, w) = try tensor.nextField() {
                        switch f {
                        case 1: try tensor.expect(w, .varint, field: f); elementType = try tensor.int32()
                        case 2:
                            try tensor.expect(w, .lengthDelimited, field: f)
                            var s = try tensor.message()
                            var dims: [Dimension] = []
                            while let (sf, sw) = try s.nextField() {
                                guard sf == 1 else { try s.skip(sw); continue }
                                try s.expect(sw, .lengthDelimited, field: sf)
                                var d = try s.message()
                                var dim = Dimension.unknown
                                while let (df, dw) = try d.nextField() {
                                    switch df {
                                    case 1: try d.expect(dw, .varint, field: df); dim = .value(try d.int64())
                                    case 2: try d.expect(dw, .lengthDelimited, field: df); dim = .param(try d.string())
                                    default: try d.skip(dw)
                                    }
                                }
                                dims.append(dim)
                            }
                            shape = dims
                        default: try tensor.skip(w)
                        }
                    }
                }
            case 3: try r.expect(wire, .lengthDelimited, field: field); docString = try r.string()
            default: try r.skip(wire)
            }
        }
    }

    func encode() -> ProtoWriter {
        var w = ProtoWriter()
        w.string(1, name)
        if let elementType {
            var tensor = ProtoWriter()
            tensor.int64(1, Int64(elementType))
            if let shape {
                var s = ProtoWriter()
                for d in shape {
                    var dim = ProtoWriter()
                    switch d {
                    case .value(let v): dim.int64(1, v)
                    case .param(let p): dim.string(2, p)
                    case .unknown: break
                    }
                    s.message(1, dim)
                }
                tensor.message(2, s)
            }
            var type = ProtoWriter()
            type.message(1, tensor)
            w.message(2, type)
        }
        if !docString.isEmpty { w.string(3, docString) }
        return w
    }
}

// MARK: - Files

/// Reads and writes .onnx files (one serialized ModelProto).
public enum ONNXFile {
    public static func read(_ path: String) throws -> ONNXModelProto {
        try decode(readWholeFile(path, limit: SizeLimits.maxModelFileBytes, kind: "an ONNX file"), path: path)
    }

    /// Decodes a ModelProto; every failure is a FormatError naming `path`.
    public static func decode(_ bytes: [UInt8], path: String) throws -> ONNXModelProto {
        if bytes.isEmpty { throw FormatError(path, "empty file, not an ONNX model") }
        var r = ProtoReader(bytes)
        do {
            return try ONNXModelProto(&r)
        } catch let e as ProtobufError {
            throw FormatError(path, "not a valid ONNX file (truncated or corrupt protobuf): \(e)")
        } catch let e as ONNXError {
            throw FormatError(path, e.message)
        }
    }

    public static func encode(_ model: ONNXModelProto) -> [UInt8] { model.encode().bytes }
}
