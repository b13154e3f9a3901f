using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>Decides whether a worker's handshake answer is acceptable. Pure, so every mismatch is unit-tested.</summary>
internal static class HandshakeValidator
{
    /// <summary>Checks a handshake response.</summary>
    /// <param name="response">The worker's answer (may be <see langword="null"/> from a broken worker).</param>
    /// <param name="expectedSecret">The secret the supervisor gave this worker.</param>
    /// <param name="expectedWasmtime">The supervisor's Wasmtime version.</param>
    /// <param name="expectedEngineHash">The supervisor's engine-settings hash.</param>
    /// <returns><see langword="null"/> when acceptable; otherwise what is wrong.</returns>
    public static string? Validate(HandshakeResponse? response, string expectedSecret, string expectedWasmtime, string expectedEngineHash)
    {
        if (response is null)
        {
            return "the worker sent an empty handshake response";
        }

        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(response.Secret ?? string.Empty),
                System.Text.Encoding.UTF8.GetBytes(expectedSecret)))
        {
            return "the peer does not know the worker's secret: it is not the process the supervisor started";
        }

        if (response.ProtocolVersion != ProtocolConstants.Version)
        {
            return $"protocol version mismatch: the supervisor speaks {ProtocolConstants.Version}, the worker {response.ProtocolVersion}";
        }

        if (!string.Equals(response.WasmtimeVersion, expectedWasmtime, StringComparison.Ordinal))
        {
            return $"Wasmtime version mismatch: the supervisor compiles with {expectedWasmtime}, the worker runs {response.WasmtimeVersion}";
        }

        if (!string.Equals(response.EngineSettingsHash, expectedEngineHash, StringComparison.Ordinal))
        {
            return $"engine settings mismatch: the supervisor's hash is {expectedEngineHash}, the worker's {response.EngineSettingsHash}";
        }

        return null;
    }
}
