using System.Diagnostics;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Supervisor.Modules;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>One generation of a plugin: what a load or a reload installed.</summary>
internal sealed class PluginGeneration
{
    /// <summary>Initializes a new instance of the <see cref="PluginGeneration"/> class.</summary>
    /// <param name="number">The generation number.</param>
    /// <param name="manifest">The manifest.</param>
    /// <param name="module">The compiled module.</param>
    /// <param name="worker">The worker running it.</param>
    /// <param name="fuelBudget">The lifetime fuel budget.</param>
    /// <param name="memoryBytes">The linear memory after load.</param>
    /// <param name="router">The generation's host-call authority.</param>
    public PluginGeneration(long number, PluginManifest manifest, CompiledModule module, WorkerProcess worker, long fuelBudget, long memoryBytes, HostCallRouter router)
    {
        Router = router;
        Number = number;
        Manifest = manifest;
        Module = module;
        Worker = worker;
        Budget = new FuelBudget(fuelBudget);
        MemoryBytes = memoryBytes;
        Counters.ObserveMemory(memoryBytes);
    }

    /// <summary>Gets the generation's host-call authority.</summary>
    public HostCallRouter Router { get; }

    /// <summary>Gets the generation number.</summary>
    public long Number { get; }

    /// <summary>Gets the manifest.</summary>
    public PluginManifest Manifest { get; }

    /// <summary>Gets the compiled module.</summary>
    public CompiledModule Module { get; }

    /// <summary>Gets or sets the worker; replaced after a crash.</summary>
    public WorkerProcess? Worker { get; set; }

    /// <summary>Gets the lifetime fuel budget.</summary>
    public FuelBudget Budget { get; }

    /// <summary>Gets the counters.</summary>
    public PluginCounters Counters { get; } = new();

    /// <summary>Gets when the generation started.</summary>
    public long StartedTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>Gets or sets the linear memory after the latest call.</summary>
    public long MemoryBytes { get; set; }
}
