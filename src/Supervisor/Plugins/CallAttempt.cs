using SochDb.Isolated.Supervisor.Workers;

namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>What one attempt of a call did, so a failure can be judged: was the worker lost, and did the call change anything?</summary>
internal sealed class CallAttempt
{
    /// <summary>Gets or sets the worker the attempt was sent to, or <see langword="null"/> before it was sent.</summary>
    public WorkerProcess? Worker { get; set; }

    /// <summary>Gets or sets the host calls with effects others could see (writes, deletes, plugin calls) the attempt made.</summary>
    public long Effects { get; set; }
}
