namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>
/// The restart decision as a pure function of the failure history, so every branch is unit-tested without a
/// process: backoff grows with the failures still inside the window, and too many of them trip the breaker.
/// </summary>
internal static class RestartPolicy
{
    /// <summary>Decides what follows a worker's end.</summary>
    /// <param name="reason">How the worker ended.</param>
    /// <param name="failureTimes">When earlier failures happened (any order; those outside the window are ignored).</param>
    /// <param name="now">The time of this end, on the same clock as <paramref name="failureTimes"/>.</param>
    /// <param name="options">The policy.</param>
    /// <param name="jitterSample">A uniform sample in [0, 1) that picks the jitter, injected so tests are exact.</param>
    /// <returns>The decision.</returns>
    public static RestartDecision Decide(WorkerExitReason reason, IEnumerable<TimeSpan> failureTimes, TimeSpan now, RestartPolicyOptions options, double jitterSample)
    {
        if (!IsFailure(reason))
        {
            return new RestartDecision(RestartAction.None, TimeSpan.Zero, 0, $"worker {Describe(reason)}");
        }

        var windowStart = now - options.FailureWindow;
        var failures = 1 + failureTimes.Count(t => t > windowStart && t <= now);
        if (failures >= options.MaxFailures)
        {
            return new RestartDecision(
                RestartAction.Quarantine,
                TimeSpan.Zero,
                failures,
                $"{failures} worker failures within {options.FailureWindow.TotalSeconds:0.###} s (last: {Describe(reason)})");
        }

        // InitialBackoff × multiplier^(failures − 1), capped, then spread by ±jitter so that plugins failing
        // together (a shared dependency went away) do not restart in lockstep.
        var exponent = Math.Min(failures - 1, 64);
        var raw = options.InitialBackoff.TotalMilliseconds * Math.Pow(options.BackoffMultiplier, exponent);
        var capped = Math.Min(raw, options.MaxBackoff.TotalMilliseconds);
        var factor = 1 + (options.Jitter * ((2 * Math.Clamp(jitterSample, 0, 1)) - 1));
        var delay = TimeSpan.FromMilliseconds(Math.Min(capped * factor, options.MaxBackoff.TotalMilliseconds));
        return new RestartDecision(RestartAction.Restart, delay, failures, $"worker {Describe(reason)}; failure {failures} of {options.MaxFailures} allowed within {options.FailureWindow.TotalSeconds:0.###} s");
    }

    /// <summary>Gets a value indicating whether an end counts against the plugin.</summary>
    /// <param name="reason">How the worker ended.</param>
    /// <returns><see langword="false"/> for a stop the supervisor asked for.</returns>
    public static bool IsFailure(WorkerExitReason reason) => reason is not (WorkerExitReason.None or WorkerExitReason.Stopped);

    /// <summary>Describes an exit reason in a few words.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The words.</returns>
    public static string Describe(WorkerExitReason reason) => reason switch
    {
        WorkerExitReason.None => "running",
        WorkerExitReason.Stopped => "stopped",
        WorkerExitReason.Crashed => "crashed",
        WorkerExitReason.OutOfMemory => "killed for exceeding its memory limit",
        WorkerExitReason.TimedOut => "killed at a call deadline",
        WorkerExitReason.Unresponsive => "killed after missing heartbeats",
        WorkerExitReason.ProtocolViolation => "killed for breaking the protocol",
        WorkerExitReason.StartFailed => "failed to start",
        _ => reason.ToString(),
    };
}
