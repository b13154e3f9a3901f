using System.Collections.Concurrent;
using System.Diagnostics;
using SochDb.Isolated.Supervisor;
using SochDb.Isolated.Tests;

namespace SochDb.Isolated.IntegrationTests.Reload;

/// <summary>Several callers invoking <c>tag</c> back to back until stopped, recording every result and every failure.</summary>
internal sealed class LoadGenerator : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<TaggedCall> calls = new();
    private readonly ConcurrentQueue<Exception> failures = new();
    private readonly Task[] callers;
    private readonly Stopwatch watch = Stopwatch.StartNew();

    public LoadGenerator(PluginSupervisor supervisor, string pluginId, int callerCount)
    {
        callers = [.. Enumerable.Range(0, callerCount).Select(i => Task.Run(() => RunAsync(supervisor, pluginId, i)))];
    }

    /// <summary>Gets the failed calls.</summary>
    public IReadOnlyCollection<Exception> Failures => failures;

    /// <summary>Gets how long the load ran.</summary>
    public TimeSpan Elapsed => watch.Elapsed;

    /// <summary>Waits (bounded) until <paramref name="count"/> calls were answered by <paramref name="generation"/>.</summary>
    public async Task WaitForCallsAsync(long generation, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (calls.Count(c => c.Generation == generation) < count && failures.IsEmpty)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"generation {generation} did not answer {count} calls in 30 s");
            await Task.Delay(5);
        }
    }

    /// <summary>Stops the callers and returns every answered call.</summary>
    public async Task<IReadOnlyList<TaggedCall>> StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(callers).DefaultTimeout();
        watch.Stop();
        return [.. calls];
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        stop.Dispose();
    }

    private async Task RunAsync(PluginSupervisor supervisor, string pluginId, int caller)
    {
        var x = caller * 100_000;
        while (!stop.IsCancellationRequested)
        {
            x++;
            try
            {
                // Not cancelled by stop: every call started is seen to its end, so none is silently dropped.
                var result = await supervisor.InvokeAsync(pluginId, "tag", [PluginValue.I32(x)]).DefaultTimeout();
                var value = result.Values[0].AsI32()!.Value;
                Assert.Equal(x, value / 1000);
                calls.Enqueue(new TaggedCall(result.Receipt.Generation, value % 1000));
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
                return;
            }
        }
    }
}

/// <summary>One answered call: the generation in its receipt and the tag of the module that computed it.</summary>
internal sealed record TaggedCall(long Generation, int Tag);
