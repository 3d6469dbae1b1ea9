import PackagePlugin
@main struct DownloadDatasets: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {}
}
