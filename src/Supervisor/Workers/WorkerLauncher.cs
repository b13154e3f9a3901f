using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SochDb.Isolated.Supervisor.Hardening;
using SochDb.Isolated.Supervisor.Logging;

namespace SochDb.Isolated.Supervisor.Workers;

/// <summary>Finds the worker executable and builds the start info for it.</summary>
internal static class WorkerLauncher
{
    /// <summary>The worker's assembly file name.</summary>
    public const string WorkerAssembly = "SochDb.Isolated.Worker.dll";

    /// <summary>
    /// The supervisor's variables a worker inherits, when set: where the runtime is, for a worker started through an
    /// apphost. Everything else the worker needs is set explicitly; nothing else crosses, so a secret in the
    /// supervisor's environment, or a code-injection variable (<c>LD_PRELOAD</c>, <c>DOTNET_STARTUP_HOOKS</c>,
    /// <c>CORECLR_PROFILER</c>), never reaches a worker.
    /// </summary>
    internal static readonly string[] InheritedVariables = ["DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_ROOT_ARM64", "DOTNET_ROOT_X86", "DOTNET_ROOT_ARM"];

    /// <summary>The supervisor's variables a worker inherits on Windows only, which Win32 components expect to find.</summary>
    internal static readonly string[] InheritedWindowsVariables = ["SystemRoot", "windir", "SystemDrive"];

    /// <summary>
    /// The folder, under the application's base directory, where the SochDb.Isolated.Supervisor package puts the
    /// worker (its buildTransitive targets copy it there on build and publish).
    /// </summary>
    public const string PackagedWorkerFolder = "sochdb-worker";

    /// <summary>
    /// Resolves the worker path: the configured one, or else the worker beside the supervisor (a project that
    /// references the worker project), or else the one the package put under <see cref="PackagedWorkerFolder"/>.
    /// </summary>
    /// <param name="configured">The configured path, if any.</param>
    /// <returns>The full path of the worker's assembly or executable.</returns>
    /// <exception cref="FileNotFoundException">No worker is there.</exception>
    public static string Resolve(string? configured)
    {
        if (configured is not null)
        {
            var path = Path.GetFullPath(configured);
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"The worker executable was not found at '{path}'. Set {nameof(PluginSupervisorOptions)}.{nameof(PluginSupervisorOptions.WorkerPath)}.", path);
        }

        var candidates = DefaultCandidates(AppContext.BaseDirectory);
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"The worker executable was not found at '{candidates[0]}' nor at '{candidates[1]}'. Set {nameof(PluginSupervisorOptions)}.{nameof(PluginSupervisorOptions.WorkerPath)}.", candidates[0]);
    }

    /// <summary>
    /// Gets whether the worker at <paramref name="workerPath"/> is a Native AOT build: an executable with no managed
    /// assembly beside it (a framework-dependent apphost always has its <c>.dll</c> next to it).
    /// </summary>
    /// <param name="workerPath">The resolved worker path.</param>
    /// <returns><see langword="true"/> for the Native AOT worker.</returns>
    internal static bool IsNativeAot(string workerPath)
    {
        if (workerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Not Path.ChangeExtension: "SochDb.Isolated.Worker" has no extension, only dots in its name.
        var stem = workerPath.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? workerPath[..^4] : workerPath;
        return !File.Exists(stem + ".dll");
    }

    /// <summary>Picks the channel encoding for a worker: the configured one, else the best that worker speaks.</summary>
    /// <param name="configured">The configured format, <see langword="null"/> for automatic.</param>
    /// <param name="workerPath">The resolved worker path.</param>
    /// <returns>The format to bootstrap the worker with.</returns>
    /// <exception cref="ArgumentException">MessagePack was configured for a Native AOT worker, which cannot speak it.</exception>
    internal static Protocol.WireFormat ResolveWire(Protocol.WireFormat? configured, string workerPath)
    {
        var native = IsNativeAot(workerPath);
        if (configured is { } format)
        {
            return native && format is Protocol.WireFormat.MessagePackLengthPrefixed
                ? throw new ArgumentException($"The worker at '{workerPath}' is a Native AOT build, which speaks only the JSON wire formats; set {nameof(PluginSupervisorOptions)}.{nameof(PluginSupervisorOptions.WireFormat)} to {Protocol.WireFormat.JsonLengthPrefixed} or leave it unset.", nameof(configured))
                : format;
        }

        return native ? Protocol.WireFormat.JsonLengthPrefixed : Protocol.WireFormat.MessagePackLengthPrefixed;
    }

    /// <summary>Where the worker is looked for when none is configured, first match wins. Pure, for tests.</summary>
    /// <param name="baseDirectory">The application's base directory.</param>
    /// <returns>The full paths, beside the supervisor first, then the package's folder.</returns>
    internal static string[] DefaultCandidates(string baseDirectory)
        => [Path.GetFullPath(Path.Combine(baseDirectory, WorkerAssembly)), Path.GetFullPath(Path.Combine(baseDirectory, PackagedWorkerFolder, WorkerAssembly))];

    /// <summary>
    /// Builds the start info with the hardening plan of <paramref name="options"/>, logging nothing. Prefer the
    /// overload that takes the plan, obtained once with <see cref="WorkerHardening.GetPlan"/> and the supervisor's logger.
    /// </summary>
    /// <param name="workerPath">The resolved worker path.</param>
    /// <param name="options">The supervisor options.</param>
    /// <returns>The start info.</returns>
    /// <exception cref="InvalidOperationException">A required hardening measure is unavailable.</exception>
    public static ProcessStartInfo CreateStartInfo(string workerPath, PluginSupervisorOptions options)
        => CreateStartInfo(workerPath, options, WorkerHardening.GetPlan(options.Hardening, NullLogger.Instance), NullLogger.Instance);

    /// <summary>
    /// Builds the start info: the worker's command behind the plan's launch chain, all three standard streams
    /// redirected, a scrubbed environment. Call it right before starting the process: on Linux it also marks the
    /// supervisor's descriptors close-on-exec (see <see cref="DescriptorSealer"/>), so none leaks into the worker.
    /// </summary>
    /// <param name="workerPath">The resolved worker path.</param>
    /// <param name="options">The supervisor options.</param>
    /// <param name="plan">The supervisor's hardening plan.</param>
    /// <param name="logger">Where a failure to mark descriptors is logged.</param>
    /// <returns>The start info.</returns>
    public static ProcessStartInfo CreateStartInfo(string workerPath, PluginSupervisorOptions options, HardeningPlan plan, ILogger logger)
    {
        var command = new List<string>(plan.LaunchPrefix);
        if (workerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            command.Add(DotnetHost());
        }

        command.Add(workerPath);
        var info = new ProcessStartInfo(command[0]);
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.CreateNoWindow = true;
        info.WorkingDirectory = Path.GetDirectoryName(workerPath)!;
        info.Environment.Clear();
        foreach (var (name, value) in BuildEnvironment(options.WorkerEnvironment, Environment.GetEnvironmentVariable, Path.GetTempPath(), OperatingSystem.IsWindows()))
        {
            info.Environment[name] = value;
        }

        if (plan.MarkDescriptorsCloseOnExec && OperatingSystem.IsLinux() && DescriptorSealer.MarkAllCloseOnExec() is { } problem)
        {
            HardeningLog.DescriptorMarkingFailed(logger, problem);
        }

        return info;
    }

    /// <summary>
    /// Builds a worker's whole environment: the runtime's few needs, our runtime settings, then the operator's
    /// <see cref="PluginSupervisorOptions.WorkerEnvironment"/>, which wins. Pure, for tests.
    /// </summary>
    /// <param name="workerEnvironment">The operator's additions.</param>
    /// <param name="supervisorVariable">Reads one of the supervisor's variables.</param>
    /// <param name="tempPath">The supervisor's temporary folder.</param>
    /// <param name="windows">Whether the worker runs on Windows.</param>
    /// <returns>The environment, and nothing else.</returns>
    internal static Dictionary<string, string> BuildEnvironment(IDictionary<string, string> workerEnvironment, Func<string, string?> supervisorVariable, string tempPath, bool windows)
    {
        var environment = new Dictionary<string, string>(windows ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (var name in windows ? InheritedVariables.Concat(InheritedWindowsVariables) : InheritedVariables)
        {
            if (supervisorVariable(name) is { Length: > 0 } value)
            {
                environment[name] = value;
            }
        }

        // The worker finds the supervisor's pipe socket under its own temporary folder (.NET puts it there on Unix),
        // so both must agree whatever the supervisor's TMPDIR says. The runtime needs nothing else: no HOME, no PATH
        // (the worker runs no program), no locale (invariant globalization).
        if (windows)
        {
            environment["TEMP"] = tempPath;
            environment["TMP"] = tempPath;
        }
        else
        {
            environment["TMPDIR"] = tempPath;
        }

        environment[Protocol.ProtocolConstants.WorkerMarkerVariable] = "1";

        // A worker is short-lived and single-threaded in its hot path: workstation GC and no tiered PGO keep its
        // footprint and start-up small.
        environment["DOTNET_gcServer"] = "0";
        environment["DOTNET_TieredPGO"] = "0";

        // No diagnostic IPC socket, debugger or profiler attach: another process of the same user could otherwise
        // use the worker's diagnostics port to dump its memory or load code into it. An operator who needs
        // dotnet-trace on workers sets DOTNET_EnableDiagnostics=1 in WorkerEnvironment.
        environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var (name, value) in workerEnvironment)
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>Finds the <c>dotnet</c> host as a full path: the launch chain runs it with no PATH to search.</summary>
    /// <returns>The host's path, or plain <c>dotnet</c> when it cannot be found.</returns>
    internal static string DotnetHost()
    {
        var executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root))
        {
            var candidate = Path.Combine(root, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(Path.IsPathFullyQualified)
            .Select(folder => Path.Combine(folder, executable))
            .FirstOrDefault(File.Exists);
        if (onPath is not null)
        {
            return onPath;
        }

        // The usual install locations, for a supervisor started with an empty PATH.
        string[] installed = OperatingSystem.IsWindows()
            ? [Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "dotnet", executable)]
            : ["/usr/share/dotnet/dotnet", "/usr/lib/dotnet/dotnet", "/usr/local/share/dotnet/dotnet", "/usr/bin/dotnet"];
        return installed.FirstOrDefault(File.Exists) ?? executable;
    }
}
