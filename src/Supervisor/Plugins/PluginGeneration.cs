using System.Diagnostics;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Supervisor.Hosting;
using SochDb.Isolated.Supervisor.Modules;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>One generation of a plugin: what a load or a reload installed.</summary>
internal sealed class PluginGeneration
{
    private readonly Lock drainSync = new();
    private TaskCompletionSource? drained;
    private int inFlight;
    private int retired;

    /// <summary>Initializes a new instance of the <see cref="PluginGeneration"/> class.</summary>
    /// <param name="number">The generation number.</param>
    /// <param name="manifest">The manifest.</param>
    /// <param name="module">The compiled module.</param>
    /// <param name="worker">The worker running it.</param>
    /// <param name="fuelBudget">The lifetime fuel budget.</param>
    /// <param name="memoryBytes">The linear memory after load.</param>
    /// <param name="router">The generation's host-call authority.</param>
    /// <param name="maxInstances">The calls that may run at once (the manifest's <c>max_instances</c>, capped by the supervisor).</param>
    /// <param name="callsPerInstance">The calls one instance's message may carry: 1, or the coalescing limit.</param>
    public PluginGeneration(long number, PluginManifest manifest, CompiledModule module, WorkerProcess worker, long fuelBudget, long memoryBytes, HostCallRouter router, int maxInstances, int callsPerInstance = 1)
    {
        MaxInstances = maxInstances;
        GateCapacity = maxInstances * callsPerInstance;
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

    /// <summary>Gets the plugin's waiting calls, which this generation's workers' lanes count into (call coalescing).</summary>
    public QueueAccount? Queue { get; init; }

    /// <summary>Gets the lifetime fuel budget.</summary>
    public FuelBudget Budget { get; }

    /// <summary>Gets the counters.</summary>
    public PluginCounters Counters { get; } = new();

    /// <summary>Gets when the generation started.</summary>
    public long StartedTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>Gets or sets the linear memory after the latest call.</summary>
    public long MemoryBytes { get; set; }

    /// <summary>Gets or sets a value indicating whether the generation failed on probation and calls went back to the previous one.</summary>
    public bool RolledBack { get; set; }

    /// <summary>Marks the generation as gone, once.</summary>
    /// <returns><see langword="true"/> for the first caller only.</returns>
    public bool MarkRetired() => Interlocked.Exchange(ref retired, 1) == 0;

    /// <summary>Gets a value indicating whether the generation is gone: no worker may be started for it.</summary>
    public bool IsRetired => Volatile.Read(ref retired) != 0;

    /// <summary>Gets or sets the watcher of the latest worker's end, which counts its crash; retiring awaits it before folding the counters.</summary>
    public Task ExitWatch { get; set; } = Task.CompletedTask;

    /// <summary>Gets the calls that may run at once.</summary>
    public int MaxInstances { get; }

    /// <summary>
    /// Gets the calls the plugin's gate admits at once while this generation serves: its instances, times the calls one
    /// coalesced message may carry when calls are coalesced (the worker's lanes then hold the rest).
    /// </summary>
    public int GateCapacity { get; }

    /// <summary>Gets the lock that makes one caller, not each, start a replacement worker.</summary>
    public SemaphoreSlim StartLock { get; } = new(1, 1);

    /// <summary>Gets the calls routed to this generation that have not finished.</summary>
    public int InFlight
    {
        get
        {
            lock (drainSync)
            {
                return inFlight;
            }
        }
    }

    /// <summary>Counts a call routed to this generation; pair with <see cref="ExitCall"/>.</summary>
    public void EnterCall()
    {
        lock (drainSync)
        {
            inFlight++;
        }
    }

    /// <summary>Counts a call as finished, waking drainers when it was the last.</summary>
    public void ExitCall()
    {
        TaskCompletionSource? idle = null;
        lock (drainSync)
        {
            if (--inFlight == 0)
            {
                idle = drained;
                drained = null;
            }
        }

        idle?.TrySetResult();
    }

    /// <summary>Waits until no call routed to this generation is running.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns><see langword="true"/> when drained; <see langword="false"/> when calls were still running at the timeout.</returns>
    public async Task<bool> WaitDrainedAsync(TimeSpan timeout)
    {
        Task wait;
        lock (drainSync)
        {
            if (inFlight == 0)
            {
                return true;
            }

            drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = drained.Task;
        }

        try
        {
            await wait.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
