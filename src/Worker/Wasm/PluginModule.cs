using Microsoft.Extensions.Logging;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Worker.Logging;
using Wasmtime;

namespace SochDb.Isolated.Worker.Wasm;

/// <summary>
/// A plugin's module, deserialized once, and its instance slots: up to <see cref="MaxInstances"/> stores, added only
/// when calls overlap, each lent to one call at a time.
/// </summary>
/// <remarks>
/// Thread-safe. Owns the module and every slot it created; a slot lent out when the module is disposed is disposed
/// when it comes back, and the module with the last one, so no call ever loses the module under it.
/// </remarks>
internal sealed class PluginModule : IDisposable
{
    /// <summary>The most instances a load may ask for.</summary>
    public const int MaxInstancesLimit = 64;

    private readonly Engine engine;
    private readonly EpochTicker ticker;
    private readonly Func<HostCallRequest, TimeSpan, HostCallResponse> send;
    private readonly ILogger logger;
    private readonly Module module;
    private readonly LoadRequest request;
    private readonly Lock gate = new();
    private readonly List<PluginInstance> slots = [];
    private readonly Stack<PluginInstance> idle = new();
    private bool disposed;

    private PluginModule(Engine engine, EpochTicker ticker, Func<HostCallRequest, TimeSpan, HostCallResponse> send, ILogger logger, Module module, LoadRequest request)
    {
        this.engine = engine;
        this.ticker = ticker;
        this.send = send;
        this.logger = logger;
        this.module = module;
        this.request = request;
    }

    /// <summary>Gets how many slots may exist, and so how many calls may run at once.</summary>
    public int MaxInstances => request.MaxInstances;

    /// <summary>Gets how many slots exist.</summary>
    public int Instances
    {
        get
        {
            lock (gate)
            {
                return slots.Count;
            }
        }
    }

    /// <summary>Gets the linear memory of every slot, each as of the end of its last call.</summary>
    public long MemoryBytes => Sum(s => s.ReportedMemoryBytes);

    /// <summary>Gets the sum of the slots' peaks: slots coexist, so this bounds the linear memory held at once.</summary>
    public long PeakMemoryBytes => Sum(s => s.PeakMemoryBytes);

    /// <summary>Gets the instantiations of every slot.</summary>
    public long Instantiations => Sum(s => s.Instantiations);

    /// <summary>Deserializes a precompiled module and instantiates its first slot, running <c>soch_init</c> if exported.</summary>
    /// <param name="engine">The engine the module was compiled for.</param>
    /// <param name="ticker">The epoch ticker of <paramref name="engine"/>.</param>
    /// <param name="send">Sends a host call to the supervisor; called from several slots at once.</param>
    /// <param name="logger">The worker's logger.</param>
    /// <param name="request">What to load.</param>
    /// <param name="loaded">The plugin, on success.</param>
    /// <returns>The load's outcome; <paramref name="loaded"/> is set only when it has no error.</returns>
    public static LoadResponse Load(Engine engine, EpochTicker ticker, Func<HostCallRequest, TimeSpan, HostCallResponse> send, ILogger logger, LoadRequest request, out PluginModule? loaded)
    {
        loaded = null;
        if (request.MaxInstances is < 1 or > MaxInstancesLimit)
        {
            return new LoadResponse
            {
                Error = new WorkerError { Kind = ErrorKind.InvalidArguments, Message = $"max instances must be between 1 and {MaxInstancesLimit}, got {request.MaxInstances}" },
            };
        }

        Module module;
        try
        {
            module = Module.Deserialize(engine, request.PluginId, request.Artifact);
        }
        catch (WasmtimeException ex)
        {
            return new LoadResponse
            {
                Error = new WorkerError { Kind = ErrorKind.InvalidWasm, Message = $"the precompiled module could not be loaded: {PluginInstance.FirstLine(ex.Message)}" },
            };
        }

        var plugin = new PluginModule(engine, ticker, send, logger, module, request);
        var first = plugin.TryRent()!;
        var error = first.Start(out var initFuelConsumed);
        var memoryBytes = first.MemoryBytes;
        plugin.Return(first);
        if (error is not null)
        {
            plugin.Dispose();
            return new LoadResponse { Error = error };
        }

        loaded = plugin;
        return new LoadResponse { MemoryBytes = memoryBytes, InitFuelConsumed = initFuelConsumed };
    }

    /// <summary>
    /// Lends an idle slot, adding one (instantiated by its first call) while fewer than <see cref="MaxInstances"/>
    /// exist. Never waits: the supervisor sends no more calls at once than it asked slots for.
    /// </summary>
    /// <returns>The slot, to give back with <see cref="Return"/>; <see langword="null"/> when every slot is busy.</returns>
    /// <exception cref="ObjectDisposedException">The module was disposed.</exception>
    public PluginInstance? TryRent()
    {
        PluginInstance slot;
        int count;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (idle.TryPop(out var free))
            {
                return free;
            }

            if (slots.Count >= request.MaxInstances)
            {
                return null;
            }

            slot = new PluginInstance(engine, ticker, new HostBridge(send, logger), logger, module, request);
            slots.Add(slot);
            count = slots.Count;
        }

        WorkerLog.InstanceAdded(logger, request.PluginId, count, request.MaxInstances);
        return slot;
    }

    /// <summary>Gives back a slot lent by <see cref="TryRent"/>.</summary>
    /// <param name="slot">The slot, no longer in use.</param>
    public void Return(PluginInstance slot)
    {
        bool lastOut;
        lock (gate)
        {
            if (!disposed)
            {
                idle.Push(slot);
                return;
            }

            slots.Remove(slot);
            lastOut = slots.Count == 0;
        }

        slot.Dispose();
        if (lastOut)
        {
            module.Dispose();
        }
    }

    /// <summary>Disposes the idle slots now and the lent ones as they come back.</summary>
    /// <returns><see langword="true"/> when no slot is still running a call.</returns>
    public bool Close()
    {
        List<PluginInstance> idleSlots;
        bool allIn;
        lock (gate)
        {
            if (disposed)
            {
                return slots.Count == 0;
            }

            disposed = true;
            idleSlots = [.. idle];
            idle.Clear();
            foreach (var slot in idleSlots)
            {
                slots.Remove(slot);
            }

            allIn = slots.Count == 0;
        }

        foreach (var slot in idleSlots)
        {
            slot.Dispose();
        }

        if (allIn)
        {
            module.Dispose();
        }

        return allIn;
    }

    /// <inheritdoc/>
    public void Dispose() => Close();

    private long Sum(Func<PluginInstance, long> value)
    {
        lock (gate)
        {
            long total = 0;
            foreach (var slot in slots)
            {
                total += value(slot);
            }

            return total;
        }
    }
}
