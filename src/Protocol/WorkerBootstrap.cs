using System.Text.Json;
using System.Text.Json.Serialization;

namespace SochDb.Isolated.Protocol;

/// <summary>
/// What a worker needs before it can reach its supervisor: written by the supervisor as one JSON line on the
/// worker's standard input, then standard input is closed. Passing the secret this way keeps it out of the
/// process's command line and environment, where other processes of the same user could read it.
/// </summary>
public sealed class WorkerBootstrap
{
    /// <summary>Gets or sets the name of the supervisor's pipe (a Unix domain socket on Linux) to connect to.</summary>
    [JsonPropertyName("pipe")]
    public string PipeName { get; set; } = string.Empty;

    /// <summary>Gets or sets the per-worker secret the worker returns in its handshake.</summary>
    [JsonPropertyName("secret")]
    public string Secret { get; set; } = string.Empty;

    /// <summary>Gets or sets the channel's encoding and framing.</summary>
    [JsonPropertyName("wire")]
    [JsonConverter(typeof(JsonStringEnumConverter<WireFormat>))]
    public WireFormat Wire { get; set; }

    /// <summary>Gets or sets the least severe log level the worker writes to standard error (0 = trace … 6 = none).</summary>
    [JsonPropertyName("logLevel")]
    public int LogLevel { get; set; } = 2;

    /// <summary>
    /// Gets or sets the measures the worker applies to itself before it answers the handshake
    /// (<see langword="null"/>: none). The worker exits with <see cref="WorkerExitCode.HardeningFailed"/> when one
    /// it was asked for cannot be applied, and reports what is in force in <see cref="Messages.HandshakeResponse.Hardening"/>.
    /// </summary>
    [JsonPropertyName("hardening")]
    public WorkerHardeningRequest? Hardening { get; set; }

    /// <summary>
    /// Gets or sets the path of the direct call lane's Unix domain socket, which the worker connects to right after the
    /// channel and proves itself on with <see cref="Secret"/> (<see langword="null"/>: calls use the channel only).
    /// </summary>
    [JsonPropertyName("lane")]
    public string? LanePath { get; set; }

    /// <summary>
    /// Gets or sets how long, in microseconds, the worker polls the direct lane for a host call's answer before it blocks
    /// (0: never; the worker caps it at 1,000).
    /// </summary>
    [JsonPropertyName("laneSpinUs")]
    public int LaneSpinMicroseconds { get; set; }

    /// <summary>Serializes the bootstrap as one line of JSON.</summary>
    /// <returns>The JSON text, without a line break.</returns>
    public string ToJsonLine() => JsonSerializer.Serialize(this, WireJsonContext.Default.WorkerBootstrap);

    /// <summary>Parses a bootstrap line.</summary>
    /// <param name="line">The line read from standard input.</param>
    /// <param name="bootstrap">The bootstrap, when the line is valid.</param>
    /// <returns><see langword="true"/> when the line holds a pipe name and a secret.</returns>
    public static bool TryParse(string? line, out WorkerBootstrap bootstrap)
    {
        bootstrap = new WorkerBootstrap();
        if (string.IsNullOrWhiteSpace(line))
        {
            return false;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize(line, WireJsonContext.Default.WorkerBootstrap);
            if (parsed is null || parsed.PipeName.Length == 0 || parsed.Secret.Length == 0)
            {
                return false;
            }

            bootstrap = parsed;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
