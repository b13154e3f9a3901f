using SochDb.Isolated.Protocol;
using SochDb.Isolated.Protocol.Manifest;
using SochDb.Isolated.Protocol.Messages;
using SochDb.Isolated.Supervisor.Audit;
using SochDb.Isolated.Supervisor.Diagnostics;
using SochDb.Isolated.Supervisor.Logging;
using SochDb.Isolated.Supervisor.Plugins;
using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor;

/// <content>Hot reload: start, health check, atomic switch, drain, probation and rollback.</content>
public sealed partial class PluginSupervisor
{
    /// <summary>
    /// Replaces a plugin's module and manifest without losing a call. The new generation's worker is started, runs
    /// <c>soch_init</c> and passes a health check (a status round trip, then the optional <c>soch_health</c> export)
    /// before any call reaches it; then new calls are routed to it atomically while calls already running on the old
    /// generation finish (<see cref="PluginSupervisorOptions.ReloadDrainTimeout"/>, then the old worker is killed). The
    /// old generation is kept for <see cref="PluginSupervisorOptions.ReloadProbation"/>: if the new one's worker fails in
    /// that window, calls go back to the old one and a call that failed with the worker — and made no write, delete or
    /// plugin call, so running it again cannot do anything twice — runs again there. Limits and capabilities of the new manifest apply to the new
    /// generation only; statistics restart with it (lifetime totals are kept beside them).
    /// </summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="wasm">The new module.</param>
    /// <param name="manifest">The new manifest.</param>
    /// <param name="cancellationToken">Cancels the reload before the switch.</param>
    /// <returns>The plugin, now at the new generation, once the old generation's running calls have finished.</returns>
    /// <exception cref="ReloadFailedException">The new generation failed to compile, start or pass its health check; the old one keeps serving.</exception>
    /// <exception cref="PluginException"><see cref="ErrorKind.PluginNotFound"/>, or <see cref="ErrorKind.SandboxTerminated"/> when the plugin was unloaded meanwhile.</exception>
    public async Task<PluginInfo> HotReloadAsync(string pluginId, ReadOnlyMemory<byte> wasm, PluginManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var slot = GetSlot(pluginId);
        await slot.ReloadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Rollback reaches one generation back: a reload still on probation is settled before the next one starts.
            await EndProbationAsync(slot).ConfigureAwait(false);
            var next = await StartNextGenerationAsync(slot, wasm, manifest, cancellationToken).ConfigureAwait(false);
            PluginGeneration? old = null;
            lock (slot.Sync)
            {
                if (!slot.Terminated)
                {
                    old = slot.Current;
                    slot.Current = next;
                    slot.Previous = old;
                    slot.Unfolded.Add(next);
                    slot.Reloads++;
                    slot.Gate.Capacity = next.GateCapacity;
                }
            }

            if (old is null)
            {
                await RetireGenerationAsync(slot, next, kill: true).ConfigureAwait(false);
                throw new PluginException(ErrorKind.SandboxTerminated, pluginId, $"plugin '{pluginId}' was unloaded during the reload");
            }

            // A new generation is a new module: the old one's failures say nothing about it.
            slot.Health.Reset();
            Watch(slot, next, next.Worker!);
            Interlocked.Increment(ref sandboxesCreated);
            SupervisorLog.PluginReloaded(logger, pluginId, next.Number, next.Worker!.Pid, old.Number, old.InFlight);
            telemetry.Reloaded(pluginId, TelemetryNames.Ok);
            await AuditLifecycleAsync(pluginId, next.Number, "reload", AuditDecision.Allowed, $"calls routed from generation {old.Number} to {next.Number}").ConfigureAwait(false);

            if (!await old.WaitDrainedAsync(options.ReloadDrainTimeout).ConfigureAwait(false))
            {
                // The kill ladder for calls that outlive the drain: they were past any reasonable deadline anyway.
                ReloadLog.DrainTimedOut(logger, pluginId, old.Number, old.InFlight, options.ReloadDrainTimeout.TotalMilliseconds);
                if (old.Worker is { } stuck)
                {
                    await stuck.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
                }
            }

            var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            slot.ProbationCut = cut;
            slot.ProbationTask = ProbationAsync(slot, next, old, cut.Task);
            return Describe(slot);
        }
        finally
        {
            slot.ReloadLock.Release();
        }
    }

    /// <summary>Reloads a plugin from files; defaults to the manifest and module it was loaded from.</summary>
    /// <param name="pluginId">The plugin.</param>
    /// <param name="manifestPath">The new manifest, or <see langword="null"/> to re-read the current one's file.</param>
    /// <param name="wasmPath">The new module, overriding the manifest's <c>wasm</c> key.</param>
    /// <param name="cancellationToken">Cancels the reload before the switch.</param>
    /// <returns>The plugin, now at the new generation.</returns>
    /// <exception cref="PluginException">As for <see cref="HotReloadAsync(string, ReadOnlyMemory{byte}, PluginManifest, CancellationToken)"/>.</exception>
    public async Task<PluginInfo> HotReloadFromManifestAsync(string pluginId, string? manifestPath = null, string? wasmPath = null, CancellationToken cancellationToken = default)
    {
        var slot = GetSlot(pluginId);
        var path = manifestPath ?? slot.Current.Manifest.SourcePath
            ?? throw new PluginException(ErrorKind.InvalidManifest, pluginId, $"plugin '{pluginId}' was not loaded from a manifest file; name one");
        var (manifest, wasm) = await ReadPluginFilesAsync(pluginId, path, wasmPath, cancellationToken).ConfigureAwait(false);
        return await HotReloadAsync(pluginId, wasm, manifest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts and health-checks the next generation; any failure is a refused reload that changed nothing.</summary>
    private async Task<PluginGeneration> StartNextGenerationAsync(PluginSlot slot, ReadOnlyMemory<byte> wasm, PluginManifest manifest, CancellationToken cancellationToken)
    {
        long number;
        long serving;
        lock (slot.Sync)
        {
            number = slot.NextGeneration++;
            serving = slot.Current.Number;
        }

        ReloadLog.ReloadStarted(logger, slot.Id, number, serving);
        slot.Reloading = true;
        try
        {
            var next = await StartGenerationAsync(slot.Id, wasm, manifest, number, slot.Queue, cancellationToken).ConfigureAwait(false);
            try
            {
                await HealthCheckAsync(slot.Id, next, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await RetireGenerationAsync(slot, next, kill: true).ConfigureAwait(false);
                throw;
            }

            return next;
        }
        catch (PluginException ex)
        {
            lock (slot.Sync)
            {
                slot.Rollbacks++;
                slot.LastRollbackReason = $"generation {number} refused: {ex.Kind}: {ex.Message}";
            }

            ReloadLog.ReloadRefused(logger, slot.Id, number, ex.Kind.ToString(), ex.Message, serving);
            telemetry.Reloaded(slot.Id, TelemetryNames.Of(ex.Kind));
            await AuditLifecycleAsync(slot.Id, number, "reload", AuditDecision.Failed, $"refused, generation {serving} keeps serving: {ex.Kind}: {ex.Message}").ConfigureAwait(false);
            throw new ReloadFailedException(ex, number, serving);
        }
        finally
        {
            slot.Reloading = false;
        }
    }

    /// <summary>
    /// Checks a new generation before calls reach it: the worker answers a status request with its plugin loaded, and
    /// the guest's <c>soch_health</c> (when exported) returns 0 within the manifest's fuel and time limits.
    /// </summary>
    private async Task HealthCheckAsync(string pluginId, PluginGeneration generation, CancellationToken cancellationToken)
    {
        var worker = generation.Worker!;
        var status = await worker.GetStatusAsync(options.HeartbeatTimeout).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!status.Loaded)
        {
            throw new PluginException(ErrorKind.ProtocolError, pluginId, "health check: the new worker reports no plugin loaded");
        }

        if (!generation.Module.Functions.TryGetValue(ProtocolConstants.HealthExport, out var health))
        {
            return;
        }

        if (health.Params.Count != 0 || health.Results.Count != 1 || health.Results[0] != PluginValueType.I32)
        {
            throw new PluginException(ErrorKind.InvalidWasm, pluginId, $"health check: {ProtocolConstants.HealthExport} must be () -> i32");
        }

        var callId = Interlocked.Increment(ref nextCallId);
        var timeout = TimeSpan.FromMilliseconds(generation.Manifest.Resources.TimeoutMs);
        var request = new InvokeRequest
        {
            CallId = callId,
            Function = ProtocolConstants.HealthExport,
            Args = [],
            Fuel = generation.Manifest.Resources.FuelLimit,
            TimeoutMs = Math.Max(1, (long)timeout.TotalMilliseconds),
        };

        InvokeResponse response;
        var context = generation.Router.BeginCall(callId, options.CoalesceCalls ? timeout + options.QueueTimeout : timeout);
        generation.EnterCall();
        try
        {
            response = await worker.InvokeAsync(request, timeout + options.CallGrace, 0, combinable: false, _ => context.Restart(timeout), cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            generation.ExitCall();
            generation.Router.EndCall(context);
        }

        if (response.Error is { } error)
        {
            throw new PluginException(error.Kind, pluginId, $"health check: {ProtocolConstants.HealthExport} failed: {error.Message}");
        }

        var verdict = response.Results is [{ Type: PluginValueType.I32 } result] ? (int)result.Bits : -1;
        if (verdict != 0)
        {
            throw new PluginException(ErrorKind.Trap, pluginId, $"health check: {ProtocolConstants.HealthExport} returned {verdict}; the new generation reports itself unhealthy");
        }
    }

    /// <summary>
    /// Sends calls back to the previous generation when <paramref name="generation"/> fails while on probation.
    /// </summary>
    /// <returns><see langword="true"/> when <paramref name="generation"/> is (now or already) rolled back, so a call that failed with it may run again.</returns>
    private bool TryRollBack(PluginSlot slot, PluginGeneration generation, string reason)
    {
        PluginGeneration restored;
        lock (slot.Sync)
        {
            if (generation.RolledBack)
            {
                return true;
            }

            if (slot.Current != generation || slot.Previous is not { } previous)
            {
                return false;
            }

            generation.RolledBack = true;
            slot.Current = previous;
            slot.Previous = null;
            slot.Gate.Capacity = previous.GateCapacity;
            slot.Rollbacks++;
            slot.LastRollbackReason = $"generation {generation.Number} rolled back: {reason}";
            restored = previous;
        }

        // The restored generation's worker history starts clean: the failures were the new module's.
        slot.Health.Reset();
        ReloadLog.RolledBack(logger, slot.Id, generation.Number, reason, restored.Number);
        telemetry.RolledBack(slot.Id);
        slot.ProbationCut?.TrySetResult();
        _ = FinishRollbackAsync(slot, generation, restored, reason);
        return true;
    }

    private async Task FinishRollbackAsync(PluginSlot slot, PluginGeneration failed, PluginGeneration restored, string reason)
    {
        try
        {
            await AuditLifecycleAsync(slot.Id, failed.Number, "rollback", AuditDecision.Failed, $"calls back on generation {restored.Number}: {reason}").ConfigureAwait(false);
            await RetireGenerationAsync(slot, failed, kill: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PluginException or ObjectDisposedException or InvalidOperationException)
        {
            // The failed generation's worker is already gone or going; nothing else depends on this.
        }
    }

    /// <summary>Waits out a reload's probation, then stops the old generation unless the new one was rolled back.</summary>
    private async Task ProbationAsync(PluginSlot slot, PluginGeneration next, PluginGeneration old, Task cut)
    {
        await Task.WhenAny(Task.Delay(options.ReloadProbation, lifetime.Token), cut).ConfigureAwait(false);
        bool committed;
        lock (slot.Sync)
        {
            committed = slot.Previous == old && slot.Current == next;
            if (committed)
            {
                slot.Previous = null;
            }
        }

        if (committed)
        {
            await RetireGenerationAsync(slot, old, kill: false).ConfigureAwait(false);
            ReloadLog.ReloadCommitted(logger, slot.Id, next.Number, old.Number);
        }
    }

    /// <summary>Ends a running probation now (committing the reload unless it was rolled back) and waits for it to settle.</summary>
    private static async Task EndProbationAsync(PluginSlot slot)
    {
        slot.ProbationCut?.TrySetResult();
        await slot.ProbationTask.ConfigureAwait(false);
    }

    /// <summary>Stops a generation that no call is routed to any more and folds its counters into the lifetime totals, once.</summary>
    private async Task RetireGenerationAsync(PluginSlot slot, PluginGeneration generation, bool kill)
    {
        if (!generation.MarkRetired())
        {
            return;
        }

        if (!kill)
        {
            await generation.WaitDrainedAsync(options.ReloadDrainTimeout).ConfigureAwait(false);
        }

        // A caller may be starting a replacement worker for it right now; wait for that to settle so it is stopped too.
        await generation.StartLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (generation.Worker is { } worker)
            {
                await worker.StopAsync(kill ? TimeSpan.Zero : options.WorkerStopTimeout).ConfigureAwait(false);
            }
        }
        finally
        {
            generation.StartLock.Release();
        }

        // Calls that were running when the worker stopped, and the watcher of its end, finish their accounting before
        // the counters are folded.
        await generation.WaitDrainedAsync(options.CallGrace).ConfigureAwait(false);
        try
        {
            await generation.ExitWatch.WaitAsync(options.CallGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A worker that has not exited yet would have been killed above; fold what is counted.
        }

        slot.Fold(generation);
    }

    /// <summary>Records a lifecycle event (reload, rollback) in the audit trail beside the host calls.</summary>
    private async Task AuditLifecycleAsync(string pluginId, long generation, string what, AuditDecision decision, string detail)
    {
        try
        {
            await auditLog.AppendAsync(new AuditRecord { PluginId = pluginId, Generation = generation, Function = "lifecycle." + what, Decision = decision, Detail = detail }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            SupervisorLog.AuditFailed(logger, pluginId, "lifecycle." + what, ex.Message);
        }
    }

    /// <summary>Whether a call's failure means the worker was lost (crashed, killed, broke the protocol), not that the guest failed.</summary>
    private static bool IsWorkerLoss(PluginException exception, WorkerProcess? worker)
        => exception.Kind is ErrorKind.WorkerCrashed or ErrorKind.ProtocolError
            || exception is PluginTimeoutException { WorkerKilled: true }
            || (exception.Kind == ErrorKind.MemoryLimitExceeded && worker is { HasExited: true });
}
