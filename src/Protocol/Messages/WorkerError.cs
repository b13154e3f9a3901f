using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol.Messages;

/// <summary>An error the worker reports as a value, with the details its kind carries.</summary>
[DataContract]
public sealed class WorkerError
{
    /// <summary>Gets or sets the stable error kind.</summary>
    [DataMember(Name = "kind")]
    [JsonPropertyName("kind")]
    public ErrorKind Kind { get; set; }

    /// <summary>Gets or sets a message naming what went wrong.</summary>
    [DataMember(Name = "message")]
    [JsonPropertyName("message")]
    public string Message { get; set; } = string.Empty;

    /// <summary>Gets or sets the Wasmtime trap code, for <see cref="ErrorKind.Trap"/>.</summary>
    [DataMember(Name = "trapCode")]
    [JsonPropertyName("trapCode")]
    public string? TrapCode { get; set; }

    /// <summary>Gets or sets the fuel consumed before the error.</summary>
    [DataMember(Name = "fuelConsumed")]
    [JsonPropertyName("fuelConsumed")]
    public long FuelConsumed { get; set; }

    /// <summary>Gets or sets the time spent before the error, in milliseconds.</summary>
    [DataMember(Name = "elapsedMs")]
    [JsonPropertyName("elapsedMs")]
    public double ElapsedMs { get; set; }

    /// <summary>Gets or sets the memory in use or asked for, for <see cref="ErrorKind.MemoryLimitExceeded"/>.</summary>
    [DataMember(Name = "usedBytes")]
    [JsonPropertyName("usedBytes")]
    public long UsedBytes { get; set; }

    /// <summary>Gets or sets the memory limit, for <see cref="ErrorKind.MemoryLimitExceeded"/>.</summary>
    [DataMember(Name = "limitBytes")]
    [JsonPropertyName("limitBytes")]
    public long LimitBytes { get; set; }
}
