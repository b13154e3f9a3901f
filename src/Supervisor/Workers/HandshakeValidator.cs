using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Hardening;

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

    /// <summary>
    /// Checks a worker's hardening report against what the supervisor applied: call after <see cref="Validate"/>
    /// accepted the response, before any plugin code is sent. Only measures that were applied are checked; those
    /// that degraded were logged when the plan was made.
    /// </summary>
    /// <param name="report">The worker's report (<see cref="HandshakeResponse.Hardening"/>).</param>
    /// <param name="expected">What the plan applied (<see cref="HardeningPlan.Expected"/>).</param>
    /// <returns><see langword="null"/> when the worker is hardened as requested; otherwise the first difference.</returns>
    public static string? ValidateHardening(WorkerHardeningReport? report, HardeningExpectation expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (!expected.Any)
        {
            return null;
        }

        if (report is null)
        {
            return "the worker sent no hardening report";
        }

        if (report.Version < 1)
        {
            return $"the worker's hardening report has unknown version {report.Version}";
        }

        if (expected.Linux && !string.Equals(report.Platform, "linux", StringComparison.Ordinal))
        {
            return $"the worker reports platform '{report.Platform}', the supervisor launched it on Linux";
        }

        if (report.CredentialsConsistent != true)
        {
            return "the worker's threads or ids disagree about its credentials" + Problems(report);
        }

        if (expected.NoNewPrivileges && report.NoNewPrivileges != true)
        {
            return "no_new_privs is not set in the worker" + Problems(report);
        }

        if (expected.NoCapabilities && (report.EffectiveCapabilities != 0 || report.PermittedCapabilities != 0))
        {
            return $"the worker holds capabilities (effective {Hex(report.EffectiveCapabilities)}, permitted {Hex(report.PermittedCapabilities)})";
        }

        if (expected.UserId is { } uid && (report.UserId != uid || report.GroupId != expected.GroupId))
        {
            return $"the worker runs as {Show(report.UserId)}:{Show(report.GroupId)}, not {uid}:{expected.GroupId}";
        }

        if (expected.UserId is not null && report.SupplementaryGroups is not { Length: 0 })
        {
            return $"the worker kept supplementary groups ({string.Join(",", report.SupplementaryGroups ?? [])})";
        }

        if (expected.MaxOpenFiles is { } maxOpenFiles
            && (report.OpenFilesHardLimit is not { } hard || hard == WorkerHardeningReport.Unlimited || hard > maxOpenFiles
                || report.OpenFilesSoftLimit is not { } soft || soft == WorkerHardeningReport.Unlimited || soft > hard))
        {
            return $"the worker's open-files limit is {Show(report.OpenFilesSoftLimit)}/{Show(report.OpenFilesHardLimit)}, not at most {maxOpenFiles}";
        }

        if (expected.CoreDumpsDisabled && (report.CoreSoftLimit != 0 || report.CoreHardLimit != 0 || report.Dumpable != false))
        {
            return $"the worker can dump core (core limit {Show(report.CoreSoftLimit)}/{Show(report.CoreHardLimit)}, dumpable {Show(report.Dumpable)})";
        }

        if (expected.NetworkIsolated)
        {
            if (report.NetworkNamespace is null
                || (expected.SupervisorNetworkNamespace is not null && string.Equals(report.NetworkNamespace, expected.SupervisorNetworkNamespace, StringComparison.Ordinal)))
            {
                return $"the worker is not in a network namespace of its own (it reports {report.NetworkNamespace ?? "unknown"})";
            }

            if (report.NetworkInterfaces is null || report.NetworkInterfaces.Any(i => !string.Equals(i, "lo", StringComparison.Ordinal)))
            {
                return $"the worker's network namespace has interfaces other than lo ({string.Join(", ", report.NetworkInterfaces ?? ["unknown"])})";
            }
        }

        return null;

        static string Show<T>(T? value)
            where T : struct => value?.ToString() ?? "unknown";

        static string Hex(ulong? value) => value is { } v ? "0x" + v.ToString("x", System.Globalization.CultureInfo.InvariantCulture) : "unknown";

        static string Problems(WorkerHardeningReport report) => report.Problems is { Length: > 0 } problems ? " (" + string.Join("; ", problems) + ")" : string.Empty;
    }
}
