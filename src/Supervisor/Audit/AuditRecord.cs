namespace SochDb.Isolated.Supervisor.Audit;

/// <summary>
/// One host call a plugin made and what the supervisor decided about it. Every host call
/// (<c>read</c>, <c>write</c>, <c>delete</c>, <c>scan</c>, <c>vector_search</c>, <c>log</c>, <c>emit_metric</c>,
/// <c>get_config</c>, <c>call_plugin</c>, or an unknown name) produces exactly one record.
/// </summary>
/// <remarks>
/// Written as one JSON line by <see cref="AuditLog"/>, which assigns <see cref="Sequence"/>, stamps
/// <see cref="Timestamp"/> when it was left at its default, converts it to UTC, and cuts text fields to
/// <see cref="AuditLog.MaxFieldChars"/> characters (several come from the untrusted plugin).
/// </remarks>
public sealed record AuditRecord
{
    /// <summary>Gets the position of the record in its log: 1, 2, 3… in file order. Assigned by <see cref="AuditLog.AppendAsync"/>; any value given is replaced.</summary>
    public long Sequence { get; init; }

    /// <summary>Gets when the host call was checked. When left at <see langword="default"/>, <see cref="AuditLog.AppendAsync"/> uses the time of appending.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets the id of the plugin that made the call.</summary>
    public required string PluginId { get; init; }

    /// <summary>Gets the generation of the plugin that made the call.</summary>
    public long Generation { get; init; }

    /// <summary>Gets the supervisor's id of the plugin call during which the host call was made.</summary>
    public long CallId { get; init; }

    /// <summary>Gets the host function's name, or for <see cref="AuditDecision.UnknownFunction"/> the unknown name the plugin asked for.</summary>
    public required string Function { get; init; }

    /// <summary>Gets what the call acted on: a table, an index, a plugin id or a config key; <see langword="null"/> when nothing.</summary>
    public string? Target { get; init; }

    /// <summary>Gets what the supervisor decided.</summary>
    public AuditDecision Decision { get; init; }

    /// <summary>
    /// Gets the ABI status returned to the plugin: 0 ok, -1 denied, -2 not found, -3 invalid arguments,
    /// -4 host error, -5 limit exceeded, -6 timeout.
    /// </summary>
    public int Status { get; init; }

    /// <summary>Gets the rows the call read, wrote, deleted or returned.</summary>
    public long RowsAffected { get; init; }

    /// <summary>Gets the bytes the plugin passed to the host.</summary>
    public long BytesIn { get; init; }

    /// <summary>Gets the bytes the host returned to the plugin.</summary>
    public long BytesOut { get; init; }

    /// <summary>Gets how long the host took over the call, in microseconds.</summary>
    public long DurationUs { get; init; }

    /// <summary>Gets a short reason for a decision other than <see cref="AuditDecision.Allowed"/>; otherwise usually <see langword="null"/>.</summary>
    public string? Detail { get; init; }
}
