namespace SochDb.Isolated.Supervisor.Plugins;

/// <summary>How an attempt to enter a <see cref="CallGate"/> ended.</summary>
internal enum GateEntry
{
    /// <summary>The caller holds a permit and must release it.</summary>
    Entered,

    /// <summary>Every permit was held and the queue was full: the caller was refused at once.</summary>
    QueueFull,

    /// <summary>The caller waited in line past its queue timeout and left.</summary>
    TimedOut,
}
