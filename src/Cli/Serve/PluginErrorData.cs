using System.Text.Json.Nodes;
using SochDb.Isolated.Supervisor;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>
/// The <c>data</c> of a plugin error (code <see cref="JsonRpcErrorCodes.PluginError"/>): <c>{kind, pluginId?, message}</c>
/// plus the details the exception's type carries, so a client can branch on <c>kind</c> and act on the numbers
/// (e.g. wait <c>retryAfterMs</c>) without parsing the message.
/// </summary>
internal static class PluginErrorData
{
    /// <summary>Builds the data of a plugin error.</summary>
    /// <param name="exception">The error.</param>
    /// <returns>The data object.</returns>
    public static JsonObject From(PluginException exception)
    {
        var data = new JsonObject { ["kind"] = exception.Kind.ToString() };
        if (exception.PluginId is { } pluginId)
        {
            data["pluginId"] = pluginId;
        }

        data["message"] = exception.Message;
        switch (exception)
        {
            case InvalidManifestException manifest:
                data["diagnostics"] = new JsonArray([.. manifest.Diagnostics.Select(d => (JsonNode)new JsonObject
                {
                    ["file"] = d.File,
                    ["line"] = d.Line,
                    ["column"] = d.Column,
                    ["message"] = d.Message,
                })]);
                break;
            case PluginTimeoutException timeout:
                data["elapsedMs"] = ServeJson.WholeMilliseconds(timeout.Elapsed);
                data["workerKilled"] = timeout.WorkerKilled;
                break;
            case FuelExhaustedException fuel:
                data["consumed"] = fuel.Consumed;
                break;
            case MemoryLimitExceededException memory:
                data["usedBytes"] = memory.UsedBytes;
                data["limitBytes"] = memory.LimitBytes;
                break;
            case PluginTrapException trap:
                data["trapCode"] = trap.TrapCode;
                break;
            case WorkerCrashedException crash:
                data["exitCode"] = crash.ExitCode;
                break;
            case OverloadedException overloaded:
                data["retryAfterMs"] = ServeJson.WholeMilliseconds(overloaded.RetryAfter);
                data["queued"] = overloaded.Queued;
                break;
            case ReloadFailedException reload:
                data["rejectedGeneration"] = reload.RejectedGeneration;
                data["servingGeneration"] = reload.ServingGeneration;
                data["reloadFailed"] = true;
                break;
            case TooManySandboxesException sandboxes:
                data["current"] = sandboxes.Current;
                data["max"] = sandboxes.Max;
                break;
        }

        return data;
    }
}
