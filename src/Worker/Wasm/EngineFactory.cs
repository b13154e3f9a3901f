using System.Reflection;
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
}
