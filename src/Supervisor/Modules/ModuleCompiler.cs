using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Logging;
using SochDb.Isolated.Worker.Wasm;
using Wasmtime;

namespace SochDb.Isolated.Supervisor.Modules;

/// <summary>
/// Compiles modules once with an engine configured exactly like the workers', checks them against the host ABI and
/// their manifest, and keeps the precompiled artifacts in memory keyed by the module's SHA-256, and on disk when given
/// a <see cref="ModuleDiskCache"/>. A load looks in memory, then on disk, then compiles.
/// </summary>
/// <remarks>Thread-safe; concurrent loads of one module compile it once. Owns its engine.</remarks>
internal sealed class ModuleCompiler : IDisposable
{
    private readonly Engine engine;
    private readonly int capacity;
    private readonly ModuleDiskCache? disk;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly Dictionary<string, CompiledModule> cache = new(StringComparer.Ordinal);
    private readonly Queue<string> order = new();
    private readonly Dictionary<string, InFlight> inFlight = new(StringComparer.Ordinal);
    private long hits;
    private long misses;
    private long diskHits;

    /// <summary>Initializes a new instance of the <see cref="ModuleCompiler"/> class.</summary>
    /// <param name="settings">The engine settings the workers use.</param>
    /// <param name="capacity">The most artifacts kept in memory; the oldest is dropped first.</param>
    /// <param name="disk">The on-disk cache, or <see langword="null"/> for memory only.</param>
    /// <param name="logger">Where cache events go.</param>
    public ModuleCompiler(EngineSettings settings, int capacity, ModuleDiskCache? disk = null, ILogger? logger = null)
    {
        Settings = settings;
        SettingsHash = settings.ComputeHash();
        engine = EngineFactory.Create(settings);
        this.capacity = Math.Max(1, capacity);
        this.disk = disk;
        this.logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Creates the compiler of a supervisor: default engine settings, and the disk cache its options ask for.</summary>
    /// <param name="options">The supervisor's validated options.</param>
    /// <param name="logger">Where cache events go.</param>
    /// <returns>The compiler.</returns>
    public static ModuleCompiler Create(PluginSupervisorOptions options, ILogger logger)
    {
        var settings = new EngineSettings();
        var disk = options.EffectiveModuleCacheDirectory is { } directory
            ? ModuleDiskCache.Open(directory, options.ModuleCacheMaxBytes, EngineFactory.WasmtimeVersion, settings.ComputeHash(), logger)
            : null;
        return new ModuleCompiler(settings, capacity: Math.Max(16, options.MaxSandboxes * 2), disk, logger);
    }

    /// <summary>Gets the engine settings.</summary>
    public EngineSettings Settings { get; }

    /// <summary>Gets the hash of <see cref="Settings"/>.</summary>
    public string SettingsHash { get; }

    /// <summary>Gets the loads that found their module already compiled, in memory or on disk.</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Gets the loads that compiled their module: exactly the number of compilations.</summary>
    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Gets the hits served from the disk cache (a subset of <see cref="Hits"/>).</summary>
    public long DiskHits => Interlocked.Read(ref diskHits);

    /// <summary>Compiles (or finds) a module and checks its imports against the host ABI.</summary>
    /// <param name="pluginId">The plugin being loaded, for errors.</param>
    /// <param name="wasm">The module bytes.</param>
    /// <returns>The compiled module.</returns>
    /// <exception cref="PluginException">Kind <see cref="ErrorKind.InvalidWasm"/>: the bytes do not compile, or an import is outside the host ABI.</exception>
    public CompiledModule Compile(string pluginId, ReadOnlySpan<byte> wasm)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(wasm));
        InFlight flight;
        lock (gate)
        {
            if (cache.TryGetValue(sha, out var cached))
            {
                Interlocked.Increment(ref hits);
                return cached;
            }

            if (!inFlight.TryGetValue(sha, out flight!))
            {
                flight = new InFlight();
                inFlight[sha] = flight;
            }

            flight.Waiters++;
        }

        try
        {
            // One load per module reads the disk or compiles; the others wait here and then find it in memory.
            lock (flight.Lock)
            {
                lock (gate)
                {
                    if (cache.TryGetValue(sha, out var cached))
                    {
                        Interlocked.Increment(ref hits);
                        return cached;
                    }
                }

                var compiled = FromDisk(pluginId, sha) ?? CompileNew(pluginId, sha, wasm);
                lock (gate)
                {
                    if (cache.TryAdd(sha, compiled))
                    {
                        order.Enqueue(sha);
                        while (order.Count > capacity)
                        {
                            cache.Remove(order.Dequeue());
                        }
                    }
                }

                return compiled;
            }
        }
        finally
        {
            lock (gate)
            {
                if (--flight.Waiters == 0)
                {
                    inFlight.Remove(sha);
                }
            }
        }
    }

    /// <summary>Checks that the manifest's exports, signatures and hooks match the module.</summary>
    /// <param name="pluginId">The plugin being loaded.</param>
    /// <param name="manifest">The manifest.</param>
    /// <param name="module">The compiled module.</param>
    /// <exception cref="InvalidManifestException">The manifest names exports the module lacks, or declares signatures the module does not have.</exception>
    public static void CheckManifest(string pluginId, PluginManifest manifest, CompiledModule module)
    {
        var file = manifest.SourcePath ?? "<manifest>";
        var problems = new List<ManifestDiagnostic>();
        var missing = manifest.Exports.Functions.Where(f => !module.Functions.ContainsKey(f)).ToList();
        if (missing.Count > 0)
        {
            problems.Add(new ManifestDiagnostic(file, 0, 0, $"[exports] names function(s) the module does not export: {string.Join(", ", missing)}"));
        }

        var needsBuffers = false;
        foreach (var (name, signature) in manifest.Exports.Signatures)
        {
            if (!module.Functions.TryGetValue(name, out var export))
            {
                continue;
            }

            var expectedParams = signature.Params.SelectMany(p => p is PluginValueType.Bytes or PluginValueType.String ? new PluginValueType?[] { PluginValueType.I32, PluginValueType.I32 } : [p]).ToList();
            var expectedResults = signature.Returns.Select(r => r is PluginValueType.Bytes or PluginValueType.String ? PluginValueType.I64 : (PluginValueType?)r).ToList();
            if (!expectedParams.SequenceEqual(export.Params) || !expectedResults.SequenceEqual(export.Results))
            {
                problems.Add(new ManifestDiagnostic(
                    file,
                    0,
                    0,
                    $"signature of '{name}' ({string.Join(", ", signature.Params)}) -> ({string.Join(", ", signature.Returns)}) needs wasm type ({Render(expectedParams)}) -> ({Render(expectedResults)}) but the module exports ({Render(export.Params)}) -> ({Render(export.Results)})"));
            }

            needsBuffers |= signature.Params.Concat(signature.Returns).Any(t => t is PluginValueType.Bytes or PluginValueType.String);
            if (signature.Params.Any(t => t is PluginValueType.Bytes or PluginValueType.String) && !module.Functions.ContainsKey(ProtocolConstants.AllocExport))
            {
                problems.Add(new ManifestDiagnostic(file, 0, 0, $"'{name}' takes bytes or strings, so the module must export {ProtocolConstants.AllocExport}(len: i32) -> i32"));
            }
        }

        var hookType = new PluginValueType?[] { PluginValueType.I32, PluginValueType.I32, PluginValueType.I64, PluginValueType.I32, PluginValueType.I32 };
        foreach (var hook in manifest.Hooks.All.Distinct(StringComparer.Ordinal))
        {
            if (module.Functions.TryGetValue(hook, out var export)
                && (!export.Params.SequenceEqual(hookType) || !export.Results.SequenceEqual([PluginValueType.I64])))
            {
                problems.Add(new ManifestDiagnostic(file, 0, 0, $"hook '{hook}' must have wasm type (i32, i32, i64, i32, i32) -> (i64): (table_ptr, table_len, row_id, row_ptr, row_len) -> status or packed row; the module exports ({Render(export.Params)}) -> ({Render(export.Results)})"));
            }

            if (manifest.Exports.Signatures.ContainsKey(hook))
            {
                problems.Add(new ManifestDiagnostic(file, 0, 0, $"hook '{hook}' must not have an [exports.signatures] entry: hooks have a fixed signature"));
            }

            needsBuffers = true;
        }

        if (manifest.Hooks.All.Any() && !module.Functions.ContainsKey(ProtocolConstants.AllocExport))
        {
            problems.Add(new ManifestDiagnostic(file, 0, 0, $"hooks receive the table name and the row through guest memory, so the module must export {ProtocolConstants.AllocExport}(len: i32) -> i32"));
        }

        if (needsBuffers && !module.HasMemory)
        {
            problems.Add(new ManifestDiagnostic(file, 0, 0, $"signatures pass bytes or strings, so the module must export its memory as '{ProtocolConstants.MemoryExport}'"));
        }

        if (problems.Count > 0)
        {
            throw new InvalidManifestException(pluginId, problems);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => engine.Dispose();

    private CompiledModule? FromDisk(string pluginId, string sha)
    {
        // TryRead checks the header's engine and the artifact's SHA-256 before returning anything. That must come
        // first: Module.Deserialize trusts its input completely (it maps the bytes as machine code), so bytes that are
        // corrupt or came from another Wasmtime version or configuration would be undefined behaviour, not an error.
        if (disk?.TryRead(sha) is not { } artifact)
        {
            return null;
        }

        try
        {
            // Deserializing here rather than trusting a stored description re-derives the exports and re-runs the ABI
            // checks from the artifact itself, and proves the engine accepts it before a worker ever sees it.
            using var module = Module.Deserialize(engine, pluginId, artifact);
            if (Check(module, sha, artifact) is not { } compiled)
            {
                disk.Reject(sha, "the cached module no longer passes the host ABI checks");
                return null;
            }

            Interlocked.Increment(ref hits);
            Interlocked.Increment(ref diskHits);
            ModuleCacheLog.DiskHit(logger, sha, pluginId);
            return compiled;
        }
        catch (WasmtimeException ex)
        {
            disk.Reject(sha, $"the engine refused it: {Describe(ex)}");
            return null;
        }
    }

    private CompiledModule CompileNew(string pluginId, string sha, ReadOnlySpan<byte> wasm)
    {
        Interlocked.Increment(ref misses);
        Module module;
        try
        {
            module = Module.FromBytes(engine, pluginId, wasm);
        }
        catch (WasmtimeException ex)
        {
            throw new PluginException(ErrorKind.InvalidWasm, pluginId, $"invalid WASM: {Describe(ex)}", ex);
        }

        using (module)
        {
            var importProblem = module.Imports.Select(ImportProblem).FirstOrDefault(p => p is not null);
            if (importProblem is not null)
            {
                throw new PluginException(ErrorKind.InvalidWasm, pluginId, $"invalid WASM: {importProblem}");
            }

            var (functions, hasMemory) = DescribeExports(module);
            var bufferProblem = HostBufferProblem(module, functions, hasMemory);
            if (bufferProblem is not null)
            {
                throw new PluginException(ErrorKind.InvalidWasm, pluginId, $"invalid WASM: {bufferProblem}");
            }

            var artifact = module.Serialize();
            disk?.Write(sha, artifact);
            return new CompiledModule(sha, artifact, functions, hasMemory);
        }
    }

    private static CompiledModule? Check(Module module, string sha, byte[] artifact)
    {
        if (module.Imports.Any(i => ImportProblem(i) is not null))
        {
            return null;
        }

        var (functions, hasMemory) = DescribeExports(module);
        return HostBufferProblem(module, functions, hasMemory) is null ? new CompiledModule(sha, artifact, functions, hasMemory) : null;
    }

    private static string Render(IEnumerable<PluginValueType?> types) => string.Join(", ", types.Select(t => t?.ToString().ToLowerInvariant() ?? "unsupported"));

    private static string WasmName(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => "i32",
        ValueKind.Int64 => "i64",
        ValueKind.Float32 => "f32",
        ValueKind.Float64 => "f64",
        _ => kind.ToString(),
    };

    internal static string Describe(WasmtimeException ex)
    {
        var lines = ex.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return string.Join(": ", lines.Where(l => !l.StartsWith("Caused by", StringComparison.Ordinal)));
    }

    /// <summary>Checks one import against the host ABI.</summary>
    /// <param name="import">The import.</param>
    /// <returns><see langword="null"/> when the host ABI offers it with that type; otherwise what is wrong, naming the import.</returns>
    internal static string? ImportProblem(Import import)
    {
        var name = $"{import.ModuleName}.{import.Name}";
        if (import is not FunctionImport function)
        {
            return $"import '{name}' is not a function; the host ABI offers only functions from module '{ProtocolConstants.HostModule}'";
        }

        if (import.ModuleName != ProtocolConstants.HostModule || !HostAbi.Functions.TryGetValue(import.Name, out var host))
        {
            return $"import '{name}' is outside the host ABI (available: {string.Join(", ", HostAbi.Functions.Keys.Select(k => $"{ProtocolConstants.HostModule}.{k}"))})";
        }

        var got = WasmSignature(function.Parameters, function.Results);
        var want = $"({string.Join(", ", host.Params)}) -> ({string.Join(", ", host.Results)})";
        return got == want ? null : $"import '{name}' has type {got} but the host ABI defines {want}";
    }

    /// <summary>Checks that a module importing host functions exports what they need: its memory, and <c>soch_alloc</c> for buffer results.</summary>
    /// <param name="module">The module.</param>
    /// <param name="functions">Its exported functions.</param>
    /// <param name="hasMemory">Whether it exports <c>memory</c>.</param>
    /// <returns><see langword="null"/> when it does; otherwise what is missing.</returns>
    internal static string? HostBufferProblem(Module module, IReadOnlyDictionary<string, CompiledModule.ExportedFunction> functions, bool hasMemory)
    {
        var used = module.Imports.Where(i => i.ModuleName == ProtocolConstants.HostModule && HostAbi.Functions.ContainsKey(i.Name)).Select(i => HostAbi.Functions[i.Name]).ToList();
        if (used.Count > 0 && !hasMemory)
        {
            return $"the module imports {ProtocolConstants.HostModule}.{used[0].Name}, which reads guest memory, but exports no '{ProtocolConstants.MemoryExport}'";
        }

        var buffered = used.FirstOrDefault(f => f.ReturnsBuffer);
        if (buffered is not null && (!functions.TryGetValue(ProtocolConstants.AllocExport, out var alloc) || !alloc.Params.SequenceEqual([PluginValueType.I32]) || !alloc.Results.SequenceEqual([PluginValueType.I32])))
        {
            return $"the module imports {ProtocolConstants.HostModule}.{buffered.Name}, which returns a buffer, but exports no {ProtocolConstants.AllocExport}(len: i32) -> i32";
        }

        return null;
    }

    /// <summary>Renders a wasm function type, e.g. <c>(i32, i32) -&gt; (i64)</c>.</summary>
    /// <param name="parameters">The parameter types.</param>
    /// <param name="results">The result types.</param>
    /// <returns>The rendering.</returns>
    internal static string WasmSignature(IEnumerable<ValueKind> parameters, IEnumerable<ValueKind> results)
        => $"({string.Join(", ", parameters.Select(WasmName))}) -> ({string.Join(", ", results.Select(WasmName))})";

    /// <summary>Lists a module's exported functions and whether it exports <c>memory</c>.</summary>
    /// <param name="module">The module.</param>
    /// <returns>The functions by name, and the memory flag.</returns>
    internal static (Dictionary<string, CompiledModule.ExportedFunction> Functions, bool HasMemory) DescribeExports(Module module)
    {
        var functions = new Dictionary<string, CompiledModule.ExportedFunction>(StringComparer.Ordinal);
        var hasMemory = false;
        foreach (var export in module.Exports)
        {
            switch (export)
            {
                case FunctionExport f:
                    functions[f.Name] = new CompiledModule.ExportedFunction(f.Parameters.Select(EngineFactory.ToPluginType).ToArray(), f.Results.Select(EngineFactory.ToPluginType).ToArray());
                    break;
                case MemoryExport m when m.Name == ProtocolConstants.MemoryExport:
                    hasMemory = true;
                    break;
            }
        }

        return (functions, hasMemory);
    }

    /// <summary>The loads of one module that are past the memory lookup.</summary>
    private sealed class InFlight
    {
        /// <summary>Gets the lock the first load holds while it reads the disk or compiles.</summary>
        public Lock Lock { get; } = new();

        /// <summary>Gets or sets the loads holding or waiting for <see cref="Lock"/>; guarded by the compiler's gate.</summary>
        public int Waiters { get; set; }
    }
}
