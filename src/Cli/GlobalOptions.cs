using System.CommandLine;

namespace SochDb.Isolated.Cli;

/// <summary>Options every command accepts.</summary>
internal sealed class GlobalOptions
{
    /// <summary>Gets <c>--set Key=Value</c>: a configuration value, applied after appsettings.json and the environment.</summary>
    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Set a configuration value, e.g. --set SochDbIsolated:MaxSandboxes=8 (repeatable)",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>Gets <c>--verbose</c>: log at debug level to standard error.</summary>
    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log at debug level (to standard error)",
        Recursive = true,
    };
}
