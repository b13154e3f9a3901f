namespace SochDb.Isolated.Supervisor.Hosting;

/// <summary>Runtime-wide host-call totals, kept across unloads and reloads.</summary>
internal sealed class HostCounters
{
    /// <summary>Host calls handled.</summary>
    public long HostCalls;

    /// <summary>Host calls that did not succeed.</summary>
    public long HostCallErrors;

    /// <summary>Host calls denied for want of a capability.</summary>
    public long CapabilityDenials;
}
