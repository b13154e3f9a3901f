namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>The worker refused a call sent on the direct lane before running it (as an error answer on the channel).</summary>
internal sealed class DirectLaneRejectedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="DirectLaneRejectedException"/> class.</summary>
    /// <param name="message">The worker's reason.</param>
    public DirectLaneRejectedException(string message)
        : base(message)
    {
    }
}
