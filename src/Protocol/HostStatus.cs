namespace SochDb.Isolated.Protocol;

/// <summary>The status codes host functions return to the guest (as negative <c>i32</c>/<c>i64</c> values). Part of the ABI.</summary>
public static class HostStatus
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The manifest does not grant the capability.</summary>
    public const int Denied = -1;

    /// <summary>No such row, index, config key, plugin or function.</summary>
    public const int NotFound = -2;

    /// <summary>Bad arguments: a buffer outside guest memory, invalid UTF-8, a bad size.</summary>
    public const int InvalidArguments = -3;

    /// <summary>The host failed (storage error, a callee's trap).</summary>
    public const int HostError = -4;

    /// <summary>A per-call limit was reached: host-call count, payload size, rows scanned.</summary>
    public const int LimitExceeded = -5;

    /// <summary>The plugin call's deadline passed while the host worked.</summary>
    public const int Timeout = -6;
}
