using SochDb.Isolated.Protocol;

namespace SochDb.Isolated.Cli;

/// <summary>
/// The command's exit codes. Stable: scripts branch on them. A plugin error exits with
/// <see cref="PluginErrorBase"/> + its <see cref="ErrorKind"/> number (e.g. <c>Timeout</c> = 11 → 31).
/// </summary>
internal static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Success = 0;

    /// <summary>An unexpected internal error.</summary>
    public const int InternalError = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>An input file was missing or unreadable.</summary>
    public const int InputNotFound = 3;

    /// <summary><c>inspect</c> found problems.</summary>
    public const int ValidationFailed = 4;

    /// <summary>The demo saw a step that did not behave as expected.</summary>
    public const int DemoFailed = 5;

    /// <summary>Interrupted by Ctrl+C.</summary>
    public const int Cancelled = 130;

    /// <summary>The base of plugin error exit codes.</summary>
    public const int PluginErrorBase = 20;

    /// <summary>Gets the exit code for a plugin error kind.</summary>
    /// <param name="kind">The error kind.</param>
    /// <returns><see cref="PluginErrorBase"/> + the kind's number.</returns>
    public static int ForKind(ErrorKind kind) => PluginErrorBase + (int)kind;
}
