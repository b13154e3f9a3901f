namespace SochDb.Isolated.Supervisor.Isolation;

/// <summary>An OS isolation mechanism failed: a group could not be created, limited, joined or removed.</summary>
internal sealed class IsolationException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="IsolationException"/> class.</summary>
    public IsolationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="IsolationException"/> class.</summary>
    /// <param name="message">What failed, naming the path or call.</param>
    public IsolationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="IsolationException"/> class.</summary>
    /// <param name="message">What failed, naming the path or call.</param>
    /// <param name="innerException">The OS error.</param>
    public IsolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
