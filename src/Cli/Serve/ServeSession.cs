namespace SochDb.Isolated.Cli.Serve;

/// <summary>The state one <see cref="ServeServer.RunAsync"/> shares between its read loop and its request tasks.</summary>
internal sealed class ServeSession : IDisposable
{
    /// <summary>How long responses may still be written after the caller's token fires, so running requests get their answer.</summary>
    public static readonly TimeSpan WriteGrace = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource writeCancel = new();
    private readonly CancellationTokenRegistration registration;
    private int outputFailed;

    /// <summary>Initializes a new instance of the <see cref="ServeSession"/> class.</summary>
    /// <param name="writer">Writes response frames.</param>
    /// <param name="stopping">Cancelled to stop reading (the caller's token, or the output failing).</param>
    /// <param name="slots">Bounds the requests running at once.</param>
    /// <param name="cancellationToken">The caller's token: stops the server at once.</param>
    public ServeSession(FrameWriter writer, CancellationTokenSource stopping, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        Writer = writer;
        Stopping = stopping;
        Slots = slots;
        CancellationToken = cancellationToken;

        // A write must not block forever on a client that stopped reading, but the answers to requests cut short by
        // cancellation ("the server is shutting down") deserve a moment to get out.
        registration = cancellationToken.Register(() => writeCancel.CancelAfter(WriteGrace));
    }

    /// <summary>Gets the frame writer.</summary>
    public FrameWriter Writer { get; }

    /// <summary>Gets the source cancelled to stop reading.</summary>
    public CancellationTokenSource Stopping { get; }

    /// <summary>Gets the semaphore bounding running requests.</summary>
    public SemaphoreSlim Slots { get; }

    /// <summary>Gets the caller's token.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets the token for writes: cancelled <see cref="WriteGrace"/> after <see cref="CancellationToken"/>.</summary>
    public CancellationToken WriteToken => writeCancel.Token;

    /// <summary>Gets a value indicating whether writing failed; later responses are dropped rather than failing again.</summary>
    public bool OutputFailed => Volatile.Read(ref outputFailed) != 0;

    /// <summary>Records that writing failed.</summary>
    /// <returns><see langword="true"/> the first time, so the failure is logged once.</returns>
    public bool MarkOutputFailed() => Interlocked.Exchange(ref outputFailed, 1) == 0;

    /// <inheritdoc/>
    public void Dispose()
    {
        registration.Dispose();
        writeCancel.Dispose();
    }
}
