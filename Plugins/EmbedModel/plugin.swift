// EmbedModel: a build-tool plugin. For each .nnm file in a target it runs nn-embed, which checks the model
// (a corrupt or unsupported one fails the build, naming the file) and generates a Swift type named after
// the file that carries the model's bytes: `try Digits().predict(png: data)` for Digits.nnm. The target
// must depend on the NNToolkit library.
import PackagePlugin

@main
struct EmbedModel: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let tool = try context.tool(named: "nn-embed")
        return target.sourceFiles(withSuffix: "nnm").map { file in
            let name = file.url.deletingPathExtension().lastPathComponent
            let typeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
            let output = context.pluginWorkDirectoryURL.appending(path: "\(typeName)+Model.swift")
            return .buildCommand(displayName: "Embedding model \(file.url.lastPathComponent) as \(typeName)",
                                 executable: tool.url, arguments: [file.url.path, output.path, typeName],
                                 inputFiles: [file.url], outputFiles: [output])
        }
    }
}
