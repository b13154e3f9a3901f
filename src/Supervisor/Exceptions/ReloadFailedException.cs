namespace SochDb.Isolated.Supervisor;

/// <summary>
/// A reload did not take effect: its new generation failed to compile, start, run <c>soch_init</c> or pass its health
/// check, so calls stayed on the generation that was serving. <see cref="PluginException.Kind"/> is the cause's kind.
/// </summary>
public sealed class ReloadFailedException : PluginException
{
    /// <summary>Initializes a new instance of the <see cref="ReloadFailedException"/> class.</summary>
    /// <param name="cause">Why the new generation was refused.</param>
    /// <param name="rejectedGeneration">The number the new generation had.</param>
    /// <param name="servingGeneration">The generation still serving.</param>
    public ReloadFailedException(PluginException cause, long rejectedGeneration, long servingGeneration)
        : base(
            (cause ?? throw new ArgumentNullException(nameof(cause))).Kind,
            cause.PluginId,
            $"the reload of plugin '{cause.PluginId}' was rolled back: generation {rejectedGeneration} failed ({cause.Kind}: {cause.Message}); generation {servingGeneration} keeps serving",
            cause)
    {
        RejectedGeneration = rejectedGeneration;
        ServingGeneration = servingGeneration;
    }

    /// <summary>Gets the number the refused generation had (numbers are never reused).</summary>
    public long RejectedGeneration { get; }

    /// <summary>Gets the generation still serving calls.</summary>
    public long ServingGeneration { get; }
}
