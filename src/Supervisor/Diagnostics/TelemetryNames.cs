using SochDb.Isolated.Protocol;
using SochDb.Isolated.Supervisor.Audit;

namespace SochDb.Isolated.Supervisor.Diagnostics;

/// <summary>
/// Tag values in snake case, computed once: metrics are recorded on every call, and formatting an enum per call
/// would allocate on the hot path.
/// </summary>
internal static class TelemetryNames
{
    /// <summary>The outcome of a call that succeeded.</summary>
    public const string Ok = "ok";

    /// <summary>The outcome of a call the caller cancelled.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The outcome of a call that failed with something other than a <see cref="PluginException"/>.</summary>
    public const string Error = "error";

    private static readonly string[] ErrorKinds = Build<ErrorKind>();
    private static readonly string[] Decisions = Build<AuditDecision>();
    private static readonly string[] ExitReasons = Build<WorkerExitReason>();

    /// <summary>Gets the outcome tag of an error kind (<c>fuel_exhausted</c>).</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The tag value.</returns>
    public static string Of(ErrorKind kind) => Lookup(ErrorKinds, (int)kind);

    /// <summary>Gets the decision tag of a host call (<c>limit_exceeded</c>).</summary>
    /// <param name="decision">The decision.</param>
    /// <returns>The tag value.</returns>
    public static string Of(AuditDecision decision) => Lookup(Decisions, (int)decision);

    /// <summary>Gets the exit-reason tag of a worker's end (<c>out_of_memory</c>).</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The tag value.</returns>
    public static string Of(WorkerExitReason reason) => Lookup(ExitReasons, (int)reason);

    /// <summary>Converts <c>PascalCase</c> to <c>snake_case</c>.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The snake-case name.</returns>
    internal static string ToSnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }

    private static string Lookup(string[] names, int value)
        => (uint)value < (uint)names.Length && names[value] is { } name ? name : "unknown";

    private static string[] Build<TEnum>()
        where TEnum : struct, Enum
    {
        var values = Enum.GetValues<TEnum>();
        var names = new string[values.Max(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)) + 1];
        foreach (var value in values)
        {
            names[Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)] = ToSnakeCase(value.ToString());
        }

        return names;
    }
}
