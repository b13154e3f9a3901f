using System.Reflection;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using Wasmtime;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>Builds Wasmtime engines from the shared <see cref="EngineSettings"/>.</summary>
internal static class EngineFactory
{
    /// <summary>Gets the version of the Wasmtime .NET library this process loaded.</summary>
    public static string WasmtimeVersion { get; } =
        typeof(Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(Engine).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>Creates an engine with fuel metering and epoch interruption on, and the given settings.</summary>
    /// <param name="settings">The settings; both ends must use the same.</param>
    /// <returns>A new engine, owned by the caller.</returns>
    public static Engine Create(EngineSettings settings)
    {
        using var config = new Config()
            .WithFuelConsumption(true)
            .WithEpochInterruption(true)
            .WithMaximumStackSize(settings.MaxWasmStackBytes)
            .WithSIMD(settings.Simd)
            .WithBulkMemory(settings.BulkMemory)
            .WithMultiValue(settings.MultiValue);
        return new Engine(config);
    }

    /// <summary>Maps a wasm value type to the plugin value type that carries it across the boundary.</summary>
    /// <param name="kind">The wasm value type.</param>
    /// <returns>The plugin value type, or <see langword="null"/> for types that cannot cross (v128, references).</returns>
    public static PluginValueType? ToPluginType(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => PluginValueType.I32,
        ValueKind.Int64 => PluginValueType.I64,
        ValueKind.Float32 => PluginValueType.F32,
        ValueKind.Float64 => PluginValueType.F64,
        _ => null,
    };
}
