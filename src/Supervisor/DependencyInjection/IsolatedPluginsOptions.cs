namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>
/// Options of the Generic Host integration (<c>services.AddIsolatedPlugins(...)</c>): the supervisor's options and the
/// plugins the host loads at start. Bound from the <c>"SochDbIsolated"</c> configuration section, where the
/// supervisor's options sit directly in the section (<c>"SochDbIsolated:MaxSandboxes"</c>,
/// <c>"SochDbIsolated:RestartPolicy:MaxFailures"</c>), beside the keys of this class. Validated when the host starts.
/// Read once, at start: later configuration changes take effect at the next start. See <c>docs/operations.md</c>.
/// </summary>
public sealed class IsolatedPluginsOptions
{
    /// <summary>The configuration section bound by default: <c>SochDbIsolated</c>.</summary>
    public const string SectionName = "SochDbIsolated";

    /// <summary>The most <see cref="MaxConcurrentLoads"/>.</summary>
    internal const int MaxConcurrentLoadsLimit = 64;

    /// <summary>
    /// Gets or sets the supervisor's options. In configuration, its keys sit directly in the <c>SochDbIsolated</c>
    /// section (not under a <c>Supervisor</c> key).
    /// </summary>
    public PluginSupervisorOptions Supervisor { get; set; } = new();

    /// <summary>
    /// Gets or sets a folder of plugins (default <see langword="null"/>: none). Every <c>*.toml</c> file directly in it
    /// is a plugin's manifest, loaded under the file's name without the extension (<c>plugins/resize.toml</c> is
    /// <c>resize</c>); every sub-folder holding a <c>plugin.toml</c> is a plugin loaded under the sub-folder's name
    /// (<c>plugins/resize/plugin.toml</c> is <c>resize</c>). Modules come from the manifests' <c>wasm</c> keys,
    /// relative to the manifest. Plugins of the folder load after <see cref="Plugins"/>, in ordinal order of their ids.
    /// A relative path is relative to the host's content root.
    /// </summary>
    public string? PluginsDirectory { get; set; }

    /// <summary>Gets the plugins to load at start, in this order (before those of <see cref="PluginsDirectory"/>).</summary>
    public IList<PluginDeclaration> Plugins { get; } = new List<PluginDeclaration>();

    /// <summary>
    /// Gets or sets a value indicating whether the host fails to start when a declared plugin fails to load (default
    /// <see langword="true"/>): the start throws one <see cref="AggregateException"/> naming every failure, after the
    /// plugins that did load are unloaded. When <see langword="false"/>, failures are logged, the host starts with the
    /// rest, <see cref="IsolatedPluginsReadiness.FailedPlugins"/> lists them and the health check reports Degraded.
    /// </summary>
    public bool FailOnPluginLoadError { get; set; } = true;

    /// <summary>
    /// Gets or sets how many declared plugins load at once (default 4; 1 to 64). Worker starts are limited further by
    /// the supervisor (about one per CPU core).
    /// </summary>
    public int MaxConcurrentLoads { get; set; } = 4;

    /// <summary>Gets or sets the health check's thresholds.</summary>
    public IsolatedPluginsHealthOptions Health { get; set; } = new();

    /// <summary>Gets the configuration keys of the bound section that match no option, recorded for the validator.</summary>
    internal List<string> UnknownConfigurationKeys { get; } = [];
}
