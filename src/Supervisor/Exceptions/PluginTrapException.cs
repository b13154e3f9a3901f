using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Supervisor;

/// <summary>The guest trapped (<see cref="ErrorKind.Trap"/>); the instance was replaced.</summary>
public sealed class PluginTrapException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="PluginTrapException"/> class.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="trapCode">The Wasmtime trap code (e.g. <c>Unreachable</c>, <c>StackOverflow</c>), if the trap had one.</param>
    /// <param name="message">The trap's message.</param>
    public PluginTrapException(string pluginId, string? trapCode, string message)
        : base(ErrorKind.Trap, pluginId, message) => TrapCode = trapCode;

    /// <summary>Gets the Wasmtime trap code, or <see langword="null"/> for ABI violations (bad pointers, <c>soch_init</c> failing).</summary>
    public string? TrapCode { get; }
}
