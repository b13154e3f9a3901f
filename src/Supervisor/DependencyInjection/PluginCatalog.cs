namespace SochDb.Isolated.Supervisor.DependencyInjection;

/// <summary>A declared plugin with its paths made absolute.</summary>
/// <param name="Id">The id to load it under.</param>
/// <param name="ManifestPath">The manifest file.</param>
/// <param name="WasmPath">The module file overriding the manifest's, or <see langword="null"/>.</param>
/// <param name="Source">Where it was declared, for messages (a configuration key or a file).</param>
internal sealed record DeclaredPlugin(string Id, string ManifestPath, string? WasmPath, string Source);

/// <summary>Turns <see cref="IsolatedPluginsOptions.Plugins"/> and <see cref="IsolatedPluginsOptions.PluginsDirectory"/> into a checked list.</summary>
internal static class PluginCatalog
{
    /// <summary>The manifest a plugin sub-folder of <see cref="IsolatedPluginsOptions.PluginsDirectory"/> must hold.</summary>
    internal const string FolderManifestName = "plugin.toml";

    private const string Prefix = IsolatedPluginsOptions.SectionName + ":";

    /// <summary>Checks a plugin id with the supervisor's rule.</summary>
    /// <param name="id">The id.</param>
    /// <returns><see langword="true"/> for 1 to 128 ASCII letters, digits, <c>-</c>, <c>_</c> or <c>.</c>.</returns>
    public static bool IsValidId(string? id) => PluginSupervisor.IsValidId(id);

    /// <summary>Resolves the declarations.</summary>
    /// <param name="options">The options.</param>
    /// <param name="basePath">The folder relative paths are relative to.</param>
    /// <returns>The plugins in load order, and every problem found (empty when they can all be loaded).</returns>
    public static (IReadOnlyList<DeclaredPlugin> Plugins, IReadOnlyList<string> Errors) Resolve(IsolatedPluginsOptions options, string basePath)
    {
        var plugins = new List<DeclaredPlugin>();
        var errors = new List<string>();
        for (var i = 0; i < options.Plugins.Count; i++)
        {
            var declaration = options.Plugins[i];
            var key = $"{Prefix}Plugins:{i}";
            if (declaration is null)
            {
                errors.Add($"{key}: the declaration is empty.");
                continue;
            }

            var ok = CheckId(declaration.Id, $"{key}:Id", errors);
            var manifest = CheckFile(declaration.Manifest, $"{key}:Manifest", basePath, errors);
            // An empty value (a JSON null binds as one) means none, as unset.
            var hasWasm = !string.IsNullOrEmpty(declaration.Wasm);
            var wasm = hasWasm ? CheckFile(declaration.Wasm, $"{key}:Wasm", basePath, errors) : null;
            if (ok && manifest is not null && (!hasWasm || wasm is not null))
            {
                plugins.Add(new DeclaredPlugin(declaration.Id, manifest, wasm, key));
            }
        }

        if (options.PluginsDirectory is { } directory)
        {
            ScanDirectory(directory, basePath, plugins, errors);
        }

        foreach (var duplicate in plugins.GroupBy(p => p.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"Plugin id '{duplicate.Key}' is declared more than once: {string.Join(", ", duplicate.Select(p => p.Source))}.");
        }

        if (plugins.Count > options.Supervisor.MaxSandboxes)
        {
            errors.Add($"{Prefix}MaxSandboxes is {options.Supervisor.MaxSandboxes}, fewer than the {plugins.Count} declared plugins.");
        }

        return (plugins, errors);
    }

    private static void ScanDirectory(string directory, string basePath, List<DeclaredPlugin> plugins, List<string> errors)
    {
        const string Key = Prefix + "PluginsDirectory";
        if (string.IsNullOrWhiteSpace(directory))
        {
            errors.Add($"{Key} must not be empty; leave it unset for none.");
            return;
        }

        var full = Path.GetFullPath(directory, basePath);
        if (!Directory.Exists(full))
        {
            errors.Add($"{Key}: folder not found: {full}");
            return;
        }

        var found = new List<DeclaredPlugin>();
        try
        {
            found.AddRange(Directory.EnumerateFiles(full, "*.toml", SearchOption.TopDirectoryOnly)
                .Select(file => new DeclaredPlugin(Path.GetFileNameWithoutExtension(file), file, null, file)));
            found.AddRange(Directory.EnumerateDirectories(full, "*", SearchOption.TopDirectoryOnly)
                .Select(folder => (Folder: folder, Manifest: Path.Combine(folder, FolderManifestName)))
                .Where(f => File.Exists(f.Manifest))
                .Select(f => new DeclaredPlugin(Path.GetFileName(f.Folder), f.Manifest, null, f.Manifest)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{Key}: cannot list {full}: {ex.Message}");
            return;
        }

        foreach (var plugin in found.OrderBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Source, StringComparer.Ordinal))
        {
            if (IsValidId(plugin.Id))
            {
                plugins.Add(plugin);
            }
            else
            {
                errors.Add($"{Key}: '{plugin.Source}' would load as '{plugin.Id}', which is not a valid plugin id (1 to 128 ASCII letters, digits, '-', '_' or '.').");
            }
        }
    }

    private static bool CheckId(string? id, string key, List<string> errors)
    {
        if (IsValidId(id))
        {
            return true;
        }

        errors.Add($"{key}: '{id}' is not a valid plugin id (1 to 128 ASCII letters, digits, '-', '_' or '.').");
        return false;
    }

    private static string? CheckFile(string? path, string key, string basePath, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{key} is required.");
            return null;
        }

        var full = Path.GetFullPath(path, basePath);
        if (!File.Exists(full))
        {
            errors.Add($"{key}: file not found: {full}");
            return null;
        }

        return full;
    }
}
