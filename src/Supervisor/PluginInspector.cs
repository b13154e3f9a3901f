using System.Security.Cryptography;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Modules;
using SochDb.Isolated.Worker.Wasm;
using Wasmtime;

namespace SochDb.Isolated.Supervisor;

/// <summary>
/// Validates a plugin without running it: parses the manifest, compiles the module exactly as a load would, and
/// lists every problem (rather than stopping at the first, as a load does).
/// </summary>
public static class PluginInspector
{
    /// <summary>Inspects a manifest (<c>.toml</c>, with the module it names) or a module alone (<c>.wasm</c> or <c>.wat</c>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>What was found.</returns>
    public static async Task<PluginInspection> InspectAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var problems = new List<ManifestDiagnostic>();
        PluginManifest? manifest = null;
        string? modulePath = path;
        if (path.EndsWith(".toml", StringComparison.OrdinalIgnoreCase))
        {
            var parsed = await ManifestParser.ParseFileAsync(path, cancellationToken).ConfigureAwait(false);
            problems.AddRange(parsed.Diagnostics);
            manifest = parsed.Manifest;
            modulePath = manifest?.WasmPath;
            if (manifest is not null && modulePath is null)
            {
                problems.Add(new ManifestDiagnostic(path, 0, 0, "no module named: add wasm = \"plugin.wasm\" under [plugin] to inspect the module too"));
            }
        }

        if (modulePath is null)
        {
            return new PluginInspection(path, manifest, null, null, null, [], [], problems);
        }

        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(modulePath, cancellationToken).ConfigureAwait(false);
            if (modulePath.EndsWith(".wat", StringComparison.OrdinalIgnoreCase))
            {
                bytes = WatText.ToWasm("inspect", modulePath, bytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PluginException)
        {
            problems.Add(new ManifestDiagnostic(modulePath, 0, 0, $"cannot read the module: {ex.Message}"));
            return new PluginInspection(path, manifest, modulePath, null, null, [], [], problems);
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var engine = EngineFactory.Create(new EngineSettings());
        Module module;
        try
        {
            module = Module.FromBytes(engine, System.IO.Path.GetFileName(modulePath), bytes);
        }
        catch (WasmtimeException ex)
        {
            problems.Add(new ManifestDiagnostic(modulePath, 0, 0, $"invalid WASM: {ModuleCompiler.Describe(ex)}"));
            return new PluginInspection(path, manifest, modulePath, sha, bytes.Length, [], [], problems);
        }

        using (module)
        {
            var imports = new List<ModuleImport>();
            foreach (var import in module.Imports)
            {
                var problem = ModuleCompiler.ImportProblem(import);
                if (problem is not null)
                {
                    problems.Add(new ManifestDiagnostic(modulePath, 0, 0, problem));
                }

                imports.Add(new ModuleImport(import.ModuleName, import.Name, KindOf(import), TypeOf(import), problem is null));
            }

            var exports = module.Exports.Select(e => new ModuleExport(e.Name, KindOf(e), TypeOf(e))).ToList();
            var (functions, hasMemory) = ModuleCompiler.DescribeExports(module);
            if (ModuleCompiler.HostBufferProblem(module, functions, hasMemory) is { } bufferProblem)
            {
                problems.Add(new ManifestDiagnostic(modulePath, 0, 0, bufferProblem));
            }

            if (manifest is not null)
            {
                try
                {
                    ModuleCompiler.CheckManifest("inspect", manifest, new CompiledModule(sha, [], functions, hasMemory));
                }
                catch (InvalidManifestException ex)
                {
                    problems.AddRange(ex.Diagnostics);
                }
            }

            return new PluginInspection(path, manifest, modulePath, sha, bytes.Length, exports, imports, problems);
        }
    }

    private static string KindOf(object item) => item switch
    {
        FunctionImport or FunctionExport => "function",
        MemoryImport or MemoryExport => "memory",
        TableImport or TableExport => "table",
        GlobalImport or GlobalExport => "global",
        _ => "other",
    };

    private static string TypeOf(object item) => item switch
    {
        FunctionImport f => ModuleCompiler.WasmSignature(f.Parameters, f.Results),
        FunctionExport f => ModuleCompiler.WasmSignature(f.Parameters, f.Results),
        MemoryExport m => m.Maximum is { } max ? $"{m.Minimum}..{max} pages" : $"{m.Minimum} pages",
        MemoryImport m => m.Maximum is { } max ? $"{m.Minimum}..{max} pages" : $"{m.Minimum} pages",
        _ => string.Empty,
    };
}
