namespace SochDb.Isolated.Protocol;

/// <summary>The stable kinds of every error the runtime reports.</summary>
/// <remarks>
/// The numeric values and names are a public contract (the CLI's exit codes, the <c>serve</c> protocol's
/// <c>data.kind</c> and the worker channel all carry them): never renumber or rename, only add.
/// The original runtime's <c>AlreadyExecuting</c> has no counterpart: calls to a busy plugin queue instead.
/// </remarks>
public enum ErrorKind
{
    /// <summary>No plugin is loaded under that id.</summary>
    PluginNotFound = 1,

    /// <summary>The module does not compile, or imports something outside the host ABI.</summary>
    InvalidWasm = 2,

    /// <summary>The plugin's store refused memory it asked for, or its initial memory exceeds the limit.</summary>
    MemoryLimitExceeded = 3,

    /// <summary>The call ran out of fuel, or the plugin's lifetime fuel budget is spent.</summary>
    FuelExhausted = 4,

    /// <summary>The plugin asked for something its manifest does not grant.</summary>
    CapabilityDenied = 5,

    /// <summary>The supervisor already runs its maximum number of plugins.</summary>
    TooManySandboxes = 6,

    /// <summary>The plugin was unloaded while the call waited.</summary>
    SandboxTerminated = 7,

    /// <summary>The plugin is in a failed state and cannot serve calls.</summary>
    SandboxFailed = 8,

    /// <summary>The runtime has shut down.</summary>
    RuntimeShutdown = 9,

    /// <summary>A host function failed.</summary>
    HostError = 10,

    /// <summary>The call passed its wall-clock deadline.</summary>
    Timeout = 11,

    /// <summary>The guest trapped (unreachable, out-of-bounds access, stack overflow, …).</summary>
    Trap = 12,

    /// <summary>A plugin with that id is already loaded.</summary>
    PluginAlreadyLoaded = 13,

    /// <summary>The manifest is malformed, or does not match the module.</summary>
    InvalidManifest = 14,

    /// <summary>The plugin does not export the function.</summary>
    FunctionNotFound = 15,

    /// <summary>The arguments do not match the function's parameters.</summary>
    InvalidArguments = 16,

    /// <summary>Too many calls are already waiting for the plugin.</summary>
    Overloaded = 17,

    /// <summary>The plugin's worker process died or broke the channel during the call.</summary>
    WorkerCrashed = 18,

    /// <summary>The worker broke the protocol: failed handshake, bad message or version mismatch.</summary>
    ProtocolError = 19,

    /// <summary>A table hook refused the write, or failed while its manifest says <c>failure = "closed"</c>.</summary>
    WriteRejected = 20,
}
