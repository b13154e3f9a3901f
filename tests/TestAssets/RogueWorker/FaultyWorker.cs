using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Messages;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace SochDb.Isolated.RogueWorker;

/// <summary>
/// The fault to inject, from <c>SOCHDB_ROGUE_MODE</c> (<c>name</c> or <c>name:argument</c>). When
/// <c>SOCHDB_ROGUE_ARM_FILE</c> is set, the fault is armed only if that file exists when the worker starts; an unarmed
/// worker runs the real worker code, so a test can load healthy plugins first, create the file, then load the victim.
/// </summary>
/// <remarks>
/// Modes: <c>hang-handshake</c>; <c>crash-at-start:code</c>; <c>crash-on-invoke:code</c>; <c>flood-stderr</c> (and
/// answer calls); <c>garbage-frame</c>; <c>oversized-frame</c>; <c>wrong-response</c> (wrong type) or
/// <c>wrong-response:unknown-id</c>; <c>ignore-shutdown</c> (answer, then stay) or <c>ignore-shutdown:silent</c>
/// (never answer); <c>hang-invoke</c>; <c>native-alloc</c> (capped by <c>SOCHDB_ROGUE_ALLOC_LIMIT_MB</c>, default 4096).
/// </remarks>
internal sealed record RogueMode(string Name, string? Argument, bool Armed)
{
    /// <summary>Gets the exit code of the crash modes.</summary>
    public int Code => int.Parse(Argument ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    public static RogueMode? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable("SOCHDB_ROGUE_MODE");
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var parts = value.Split(':', 2);
        var armFile = Environment.GetEnvironmentVariable("SOCHDB_ROGUE_ARM_FILE");
        return new RogueMode(parts[0], parts.Length > 1 ? parts[1] : null, string.IsNullOrEmpty(armFile) || File.Exists(armFile));
    }

    public override string ToString() => !Armed ? "real" : Argument is null ? Name : $"{Name}:{Argument}";
}

/// <summary>
/// Answers the handshake and the load truthfully, then misbehaves as its mode says. Every invoke first makes one host
/// call (audited by the supervisor), so tests can see that the call reached the worker before the fault.
/// </summary>
internal sealed class FaultyWorker(NamedPipeClientStream pipe, WorkerBootstrap bootstrap, RogueMode mode, JsonRpc rpc)
{
    /// <summary>What oversized-frame claims: 1.5 GiB, more than any limit the supervisor accepts.</summary>
    private const int OversizedClaim = 1536 * 1024 * 1024;

    private readonly TaskCompletionSource stopped = new();

    public static async Task<int> RunAsync(NamedPipeClientStream pipe, WorkerBootstrap bootstrap, RogueMode mode)
    {
        if (mode.Name == "hang-handshake")
        {
            // Connected, and silent forever.
            await Task.Delay(Timeout.Infinite);
        }

        if (mode.Name == "flood-stderr")
        {
            _ = Task.Factory.StartNew(Flood, TaskCreationOptions.LongRunning);
        }

        using var rpc = RpcChannel.Create(pipe, bootstrap.Wire);
        var worker = new FaultyWorker(pipe, bootstrap, mode, rpc);
        rpc.AddLocalRpcTarget(worker);
        if (mode is { Name: "wrong-response", Argument: null })
        {
            rpc.AddLocalRpcMethod(WorkerMethods.Invoke, worker.WrongTypeAsync);
        }
        else
        {
            rpc.AddLocalRpcMethod(WorkerMethods.Invoke, worker.InvokeAsync);
        }

        rpc.StartListening();
        await Task.WhenAny(rpc.Completion, worker.stopped.Task);
        if (mode.Name == "ignore-shutdown")
        {
            // Asked to stop, and the channel is gone: stay anyway, until killed.
            await Task.Delay(Timeout.Infinite);
        }

        return 0;
    }

    [JsonRpcMethod(WorkerMethods.Handshake)]
    public HandshakeResponse Handshake(HandshakeRequest request) => Rogue.TruthfulHandshake(bootstrap.Secret, request);

    [JsonRpcMethod(WorkerMethods.Load)]
    public LoadResponse Load(LoadRequest request) => new() { MemoryBytes = 65536 };

    [JsonRpcMethod(WorkerMethods.Status)]
    public WorkerStatus Status() => new() { Loaded = true };

    /// <summary>Answers a warm pool's prewarm truthfully enough: the fault waits for a plugin.</summary>
    [JsonRpcMethod(WorkerMethods.Prewarm)]
    public long Prewarm() => 1;

    [JsonRpcMethod(WorkerMethods.Shutdown)]
    public async Task ShutdownAsync()
    {
        if (mode is { Name: "ignore-shutdown", Argument: "silent" })
        {
            // Not even an answer.
            await Task.Delay(Timeout.Infinite);
        }

        stopped.TrySetResult();
    }

    private async Task<InvokeResponse> InvokeAsync(InvokeRequest request)
    {
        await AuditedHostCallAsync(request);
        switch (mode.Name)
        {
            case "crash-on-invoke":
                Environment.Exit(mode.Code);
                break;
            case "garbage-frame":
                // A plausible header and an undecodable body (0xC1 is never valid MessagePack, nor JSON), so the bytes
                // reach the parser rather than the frame-size check.
                var garbage = new byte[64];
                Random.Shared.NextBytes(garbage);
                garbage[0] = 0xC1;
                await WriteRawAsync(Header(garbage.Length), garbage);
                break;
            case "oversized-frame":
                await WriteRawAsync(Header(OversizedClaim), []);
                var chunk = new byte[64 * 1024];
                while (true)
                {
                    await WriteRawAsync([], chunk);
                    await Task.Delay(100);
                }

            case "wrong-response":
                // A well-formed answer to a request nobody sent (wrong-response:unknown-id).
                var unasked = UnaskedAnswer();
                await WriteRawAsync(Header(unasked.Length), unasked);
                break;
            case "native-alloc":
                AllocateUntilKilled();
                break;
            case "flood-stderr" or "ignore-shutdown":
                return new InvokeResponse { Results = [new WireValue { Type = PluginValueType.I32, Bits = request.Args.Sum(a => a.Bits) }] };
        }

        // Never answer (hang-invoke, and every mode that has already broken the channel).
        await Task.Delay(Timeout.Infinite);
        return null!;
    }

    /// <summary>A well-formed answer of the wrong type (wrong-response).</summary>
    private async Task<string> WrongTypeAsync(InvokeRequest request)
    {
        await AuditedHostCallAsync(request);
        return "not an InvokeResponse";
    }

    private Task<HostCallResponse> AuditedHostCallAsync(InvokeRequest request)
        => rpc.InvokeAsync<HostCallResponse>(WorkerMethods.HostCall, new HostCallRequest { CallId = request.CallId, Function = "read", Target = "items", RowId = 1 });

    private static void Flood()
    {
        using var stderr = Console.OpenStandardError();
        var line = Encoding.UTF8.GetBytes(new string('x', 150) + "\n");
        var endless = Encoding.UTF8.GetBytes(new string('y', 256 * 1024));
        while (true)
        {
            // A quarter megabyte with no line break: the supervisor must not buffer lines without bound.
            stderr.Write(endless);
            stderr.Write("\n"u8);
            for (var i = 0; i < 1000; i++)
            {
                stderr.Write(line);
            }
        }
    }

    private static unsafe void AllocateUntilKilled()
    {
        // Bounded as a safety net for machines without OS limits; under a cgroup the kill comes long before.
        var limit = long.TryParse(Environment.GetEnvironmentVariable("SOCHDB_ROGUE_ALLOC_LIMIT_MB"), out var mb) ? mb << 20 : 4L << 30;
        const int Block = 16 * 1024 * 1024;
        for (long total = 0; total < limit; total += Block)
        {
            var block = (byte*)NativeMemory.Alloc(Block);
            for (var page = 0; page < Block; page += 4096)
            {
                block[page] = 1;
            }
        }
    }

    private byte[] Header(int length)
    {
        if (bootstrap.Wire == WireFormat.JsonHeaders)
        {
            return Encoding.ASCII.GetBytes($"Content-Length: {length}\r\n\r\n");
        }

        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        return prefix;
    }

    private async Task WriteRawAsync(byte[] header, byte[] body)
    {
        // Straight into the pipe, past JSON-RPC: nothing else is being written while this call is in flight.
        await pipe.WriteAsync(header);
        await pipe.WriteAsync(body);
        await pipe.FlushAsync();
    }

    private byte[] UnaskedAnswer()
    {
        // Encoded by the formatter the channel uses, so only the request id is wrong.
        var formatter = RpcChannel.CreateHandler(Stream.Null, bootstrap.Wire).Formatter;
        var result = (formatter as IJsonRpcMessageFactory)?.CreateResultMessage() ?? new JsonRpcResult();
        result.RequestId = new RequestId(424_242);
        result.Result = new InvokeResponse();
        result.ResultDeclaredType = typeof(InvokeResponse);
        var body = new ArrayBufferWriter<byte>();
        formatter.Serialize(body, result);
        return body.WrittenSpan.ToArray();
    }
}
