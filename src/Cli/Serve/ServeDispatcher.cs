using System.Text.Json;
using System.Text.Json.Nodes;
using System.Globalization;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Supervisor.Hosting;

namespace SochDb.Isolated.Cli.Serve;

/// <summary>Maps a request's method and params onto the supervisor, and its answer onto JSON.</summary>
internal sealed class ServeDispatcher
{
    private readonly PluginSupervisor supervisor;

    /// <summary>Initializes a new instance of the <see cref="ServeDispatcher"/> class.</summary>
    /// <param name="supervisor">The supervisor requests act on.</param>
    public ServeDispatcher(PluginSupervisor supervisor)
    {
        ArgumentNullException.ThrowIfNull(supervisor);
        this.supervisor = supervisor;
    }

    /// <summary>Runs one method. <see cref="ServeMethods.RuntimeShutdown"/> is not handled here: the server owns its own life.</summary>
    /// <param name="method">The method name.</param>
    /// <param name="parameters">The <c>params</c> member (an object, or undefined/null for none).</param>
    /// <param name="cancellationToken">Stops waiting (the server is going down).</param>
    /// <returns>The result; <see langword="null"/> for methods that answer null.</returns>
    /// <exception cref="JsonRpcException">Unknown or unavailable method, or invalid params.</exception>
    /// <exception cref="PluginException">The supervisor refused or failed the operation.</exception>
    public async Task<JsonNode?> DispatchAsync(string method, JsonElement parameters, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case ServeMethods.PluginLoad:
            {
                var p = new RequestParams(parameters);
                var id = p.RequiredString("id");
                var manifestPath = p.RequiredString("manifestPath");
                var wasmPath = p.OptionalString("wasmPath");
                try
                {
                    return ServeJson.PluginInfo(await supervisor.LoadFromManifestAsync(id, manifestPath, wasmPath, cancellationToken));
                }
                catch (ArgumentException ex) when (ex.ParamName == "pluginId")
                {
                    // The supervisor validates ids with an ArgumentException (a programming error for an embedder);
                    // over the wire it is a bad parameter.
                    throw JsonRpcException.InvalidParams("id", "is not a valid plugin id: " + ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal));
                }
            }

            case ServeMethods.PluginInvoke:
            {
                var p = new RequestParams(parameters);
                var id = p.RequiredString("id");
                var function = p.RequiredString("function");
                var args = p.Values("args");
                return ServeJson.InvokeResult(await supervisor.InvokeAsync(id, function, args, cancellationToken));
            }

            case ServeMethods.PluginInvokeBatch:
            {
                var p = new RequestParams(parameters);
                var id = p.RequiredString("id");
                var function = p.RequiredString("function");
                var rows = p.ValueRows("rows");
                return ServeJson.BatchResult(await supervisor.InvokeBatchAsync(id, function, rows, cancellationToken));
            }

            case ServeMethods.PluginReload:
            {
                var p = new RequestParams(parameters);
                var id = p.RequiredString("id");
                var manifestPath = p.OptionalString("manifestPath");
                var wasmPath = p.OptionalString("wasmPath");
                return ServeJson.PluginInfo(await supervisor.HotReloadFromManifestAsync(id, manifestPath, wasmPath, cancellationToken));
            }

            case ServeMethods.PluginUnload:
                await supervisor.UnloadAsync(new RequestParams(parameters).RequiredString("id"), cancellationToken);
                return null;

            case ServeMethods.PluginResetFuel:
                supervisor.ResetFuel(new RequestParams(parameters).RequiredString("id"));
                return null;

            case ServeMethods.PluginResetQuarantine:
                return JsonValue.Create(supervisor.ResetQuarantine(new RequestParams(parameters).RequiredString("id")));

            case ServeMethods.PluginList:
                _ = new RequestParams(parameters);
                return ServeJson.PluginList(supervisor.ListPlugins());

            case ServeMethods.PluginStats:
                return ServeJson.PluginStats(supervisor.GetPluginStats(new RequestParams(parameters).RequiredString("id")));

            case ServeMethods.RuntimeStats:
                _ = new RequestParams(parameters);
                return ServeJson.RuntimeStats(supervisor.GetRuntimeStats());

            case ServeMethods.StorePut:
            {
                var p = new RequestParams(parameters);
                await supervisor.WriteRowAsync(p.RequiredString("table"), p.RequiredInt64("rowId"), p.RequiredBase64("data"), cancellationToken);
                return null;
            }

            case ServeMethods.StoreGet:
            {
                var p = new RequestParams(parameters);
                var row = await supervisor.ReadRowAsync(p.RequiredString("table"), p.RequiredInt64("rowId"), cancellationToken);
                return row is null ? null : new JsonObject { ["data"] = Convert.ToBase64String(row) };
            }

            case ServeMethods.StoreDelete:
            {
                var p = new RequestParams(parameters);
                return JsonValue.Create(await supervisor.DeleteRowAsync(p.RequiredString("table"), p.RequiredInt64("rowId"), cancellationToken));
            }

            case ServeMethods.StorePutVector:
            {
                var p = new RequestParams(parameters);
                var metric = p.OptionalString("metric") switch
                {
                    null or "cosine" => VectorMetric.Cosine,
                    "l2" => VectorMetric.L2,
                    _ => throw JsonRpcException.InvalidParams("metric", "must be \"cosine\" or \"l2\""),
                };
                try
                {
                    await supervisor.PutVectorAsync(p.RequiredString("index"), p.RequiredInt64("rowId"), p.RequiredVector("vector"), metric, cancellationToken);
                }
                catch (ArgumentException ex)
                {
                    throw JsonRpcException.InvalidParams("vector", ex.Message);
                }

                return null;
            }

            case ServeMethods.StoreSearch:
            {
                var p = new RequestParams(parameters);
                IReadOnlyList<VectorHit> hits;
                try
                {
                    hits = await supervisor.SearchVectorsAsync(p.RequiredString("index"), p.RequiredVector("vector"), p.OptionalInt32("topK", 10, 0, 10_000), cancellationToken);
                }
                catch (ArgumentException ex)
                {
                    throw JsonRpcException.InvalidParams("vector", ex.Message);
                }

                return new JsonArray([.. hits.Select(h => (JsonNode)new JsonObject { ["rowId"] = h.RowId.ToString(CultureInfo.InvariantCulture), ["distance"] = h.Distance })]);
            }

            case ServeMethods.StorePutIndex:
            {
                var p = new RequestParams(parameters);
                return JsonValue.Create(await supervisor.PutIndexEntryAsync(p.RequiredString("index"), p.RequiredBase64("key"), p.RequiredInt64("rowId"), p.OptionalBoolean("remove"), cancellationToken));
            }

            case ServeMethods.StoreLookupIndex:
            {
                var p = new RequestParams(parameters);
                var ids = await supervisor.LookupIndexAsync(p.RequiredString("index"), p.RequiredBase64("key"), p.OptionalInt32("limit", 100, 0, 10_000), cancellationToken);
                return new JsonArray([.. ids.Select(id => (JsonNode)id.ToString(CultureInfo.InvariantCulture))]);
            }

            case ServeMethods.AuditQuery:
            {
                var p = new RequestParams(parameters);
                var records = supervisor.QueryAudit(p.OptionalString("pluginId"), p.OptionalInt32("limit", 100, 1, 10_000));
                return new JsonArray([.. records.Select(r => (JsonNode)ServeJson.AuditEntry(r))]);
            }

            default:
                throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, $"method not found: {method}");
        }
    }
}
